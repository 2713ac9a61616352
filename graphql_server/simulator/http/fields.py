"""Server-side field validation (the ``fieldValidation`` query parameter).

Owns finding the fields of a request body (object, merge or strategic patch, apply
configuration) that its kind's schema does not declare, and acting on them as the
apiserver does: ``Strict`` refuses the request with 400 naming every field, ``Warn``
(the default) answers with a ``Warning`` header per field, ``Ignore`` says nothing.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from graphql_server.simulator.admission import kind_schema
from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.wire import crd_of
from graphql_server.simulator.patching import JSON_PATCH
from graphql_server.simulator.schemas.walking import unknown_fields
from graphql_server.simulator.status import ApiError, bad_request

_MODES = ("Strict", "Warn", "Ignore")


def _without_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_without_directives(v) for v in value]
    return value


def check_fields(
    cluster: ClusterModel,
    request: web.Request,
    rtype: ResourceType,
    body: Any,
    patch_type: str | None = None,
) -> list[str]:
    """``Warning`` header values for ``body``; raises 400 under ``Strict``."""
    mode = request.query.get("fieldValidation") or "Warn"
    if mode not in _MODES:
        raise bad_request(
            f'fieldValidation must be one of "Ignore", "Warn" or "Strict", not "{mode}"'
        )
    if mode == "Ignore" or patch_type == JSON_PATCH:
        return []
    node = kind_schema(rtype, crd_of(cluster, rtype))
    if node is None:
        return []
    unknown = list(unknown_fields(node, _without_directives(body)))
    if not unknown:
        return []
    if mode == "Strict":
        fields = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise ApiError(
            400,
            "BadRequest",
            f'{rtype.kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: '
            f"strict decoding error: {fields}",
        )
    return [f'299 - "unknown field \\"{path}\\""' for path in unknown]
