"""Wire helpers shared by the HTTP modules.

Owns JSON and Status responses, reading query flags, integers and selectors the way
the apiserver reads them, and decoding JSON request bodies; every parse failure is a
400 :class:`ApiError`.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from graphql_server.simulator.catalogue import CRD_GROUP, CRD_PLURAL, ResourceType
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.protobuf import PROTOBUF, decode_body
from graphql_server.simulator.selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from graphql_server.simulator.status import ApiError, bad_request

JSON = "application/json"
_TRUE = ("true", "1", "yes", "t")


def json_response(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON, headers=headers)


def error_response(error: ApiError) -> web.Response:
    return json_response(error.body(), error.status, error.headers or None)


def flag(value: str | None) -> bool:
    return value is not None and value.lower() in _TRUE


def query_int(query: Any, name: str) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"invalid value for {name}: {value!r}") from None


async def json_body(request: web.Request) -> Any:
    raw = await request.read()
    if request.content_type == PROTOBUF:
        return decode_body(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(
            "the request body could not be decoded: couldn't get version/kind; "
            f"json parse error: {exc}"
        ) from exc


def field_manager(request: web.Request, *, applying: bool = False) -> str:
    """The request's field manager: ``fieldManager``, else its user agent's product
    (an apply must name its manager)."""
    named = request.query.get("fieldManager", "")
    if named or applying:
        return named
    agent = request.headers.get("User-Agent", "")
    return agent.split("/", 1)[0][:128] or "unknown"


def crd_of(cluster: ClusterModel, rtype: ResourceType) -> dict[str, Any] | None:
    """The CRD defining ``rtype``; None for built-in types."""
    entry = cluster.store(cluster.resolve(CRD_GROUP, "v1", CRD_PLURAL)).get("", rtype.key)
    return None if entry is None else entry.obj


def selectors(
    request: web.Request, rtype: ResourceType
) -> tuple[LabelSelector | None, FieldSelector | None]:
    try:
        labels = parse_label_selector(request.query.get("labelSelector"))
        fields = parse_field_selector(request.query.get("fieldSelector"), rtype.kind)
    except SelectorError as exc:
        raise bad_request(f"unable to parse requirement: {exc}") from exc
    return labels, fields
