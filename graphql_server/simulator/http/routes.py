"""The Kubernetes HTTP API over aiohttp: path routing, verbs, objects and lists.

Owns mapping a request (path, method, query, headers, body) to a state operation and
its response in the apiserver's wire format: discovery, CRUD with field managers and
field validation, lists with pagination and Tables, and ``Status`` bodies for every
failure. Watch streams (:mod:`streams`), OpenAPI (:mod:`openapi`), the scale
subresource (:mod:`scale`) and the reviews (:mod:`reviews`) are handed off. No request
may escape as an unhandled exception; anything unexpected is a 500 Status.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from graphql_server.simulator.catalogue import STATUS_VERBS, ResourceType
from graphql_server.simulator.http import discovery
from graphql_server.simulator.http.fields import check_fields
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.openapi import serve_openapi
from graphql_server.simulator.http.reviews import REVIEWS, serve_review
from graphql_server.simulator.http.scale import serve_scale
from graphql_server.simulator.http.service_proxy import is_proxy_path, serve_proxy
from graphql_server.simulator.http.streams import serve_watch
from graphql_server.simulator.http.tables import table, wants_table
from graphql_server.simulator.http.wire import (
    crd_of,
    error_response,
    field_manager,
    flag,
    json_body,
    json_response,
    query_int,
    selectors,
)
from graphql_server.simulator.patching import APPLY_PATCH, PATCH_TYPES
from graphql_server.simulator.scaling import scale_paths
from graphql_server.simulator.status import (
    ApiError,
    bad_request,
    method_not_allowed,
    path_not_found,
    status_body,
)
from graphql_server.simulator.store import Entry

logger = logging.getLogger(__name__)

_HEALTH = ("healthz", "readyz", "livez")
REVIEW_PATHS = {(group, plural) for group, _, plural, _ in REVIEWS}


@dataclass(slots=True)
class Target:
    """A resolved resource request: which type, namespace, object and subresource."""

    rtype: ResourceType
    namespace: str | None
    name: str | None
    subresource: str
    legacy_watch: bool


def _has_subresource(cluster: ClusterModel, rtype: ResourceType, subresource: str) -> bool:
    if subresource == "status":
        return rtype.has_status
    return subresource == "scale" and scale_paths(rtype, crd_of(cluster, rtype)) is not None


def resolve_target(cluster: ClusterModel, group: str, version: str, rest: list[str]) -> Target:
    legacy_watch = False
    if rest and rest[0] == "watch":
        legacy_watch, rest = True, rest[1:]
    if not rest:
        raise path_not_found()
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        candidate = cluster.served.get((group, version, rest[2]))
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        raise path_not_found()
    rtype = cluster.resolve(group, version, rest[0])
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else ""
    if name == "" or (subresource and not _has_subresource(cluster, rtype, subresource)):
        raise path_not_found()
    if rtype.namespaced and namespace is None and name is not None:
        raise path_not_found()
    return Target(rtype, namespace, name, subresource, legacy_watch)


class ApiRoutes:
    """Handles every Kubernetes API request against one simulated cluster."""

    def __init__(self, cluster: ClusterModel) -> None:
        self.cluster = cluster

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._route(request)
        except ApiError as error:
            return error_response(error)
        except web.HTTPException as exc:
            reason = "RequestEntityTooLarge" if exc.status == 413 else "BadRequest"
            body = status_body(exc.status, reason, exc.text or exc.reason)
            return json_response(orjson.dumps(body), exc.status)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            logger.exception("simulator request %s %s failed", request.method, request.path)
            body = status_body(500, "InternalError", "Internal error occurred")
            return json_response(orjson.dumps(body), 500)

    def authorised(self, request: web.Request) -> bool:
        token = self.cluster.token
        if not token:
            return True
        return request.headers.get("Authorization", "") == f"Bearer {token}"

    async def _route(self, request: web.Request) -> web.StreamResponse:
        parts = request.path.strip("/").split("/")
        if parts and parts[0] in _HEALTH and request.method in ("GET", "HEAD"):
            return web.Response(text="ok", content_type="text/plain")
        if parts == ["version"]:
            return json_response(orjson.dumps(discovery.VERSION_INFO))
        if not self.authorised(request):
            return json_response(
                orjson.dumps(status_body(401, "Unauthorized", "Unauthorized")), 401
            )
        if parts and parts[0] == "openapi":
            return serve_openapi(self.cluster, request, parts)
        if not parts or parts[0] not in ("api", "apis"):
            raise path_not_found()
        if parts[0] == "api":
            if len(parts) == 1:
                host = request.host or "127.0.0.1"
                return self._discovery(request, discovery.api_versions(host))
            group, version, rest = "", parts[1], parts[2:]
        else:
            if len(parts) == 1:
                return self._discovery(request, discovery.group_list(self.cluster))
            if len(parts) == 2:
                return self._discovery(request, discovery.group(self.cluster, parts[1]))
            group, version, rest = parts[1], parts[2], parts[3:]
        if not rest:
            return self._discovery(request, discovery.resource_list(self.cluster, group, version))
        if group == "" and version == "v1" and is_proxy_path(rest):
            return await serve_proxy(self.cluster, request, rest[1], rest[3])
        if len(rest) == 1 and (group, rest[0]) in REVIEW_PATHS:
            return await serve_review(self.cluster, request, group, version, rest[0])
        target = resolve_target(self.cluster, group, version, rest)
        return await self._resource(request, target)

    def _discovery(self, request: web.Request, doc: dict[str, Any] | None) -> web.Response:
        if request.method != "GET":
            raise method_not_allowed(request.method)
        if doc is None:
            raise path_not_found()
        return json_response(orjson.dumps(doc))

    async def _resource(self, request: web.Request, target: Target) -> web.StreamResponse:
        method = request.method
        query = request.query
        named = target.name is not None
        if target.legacy_watch and method != "GET":
            raise method_not_allowed(method)
        if method == "GET":
            if target.legacy_watch or (not named and flag(query.get("watch"))):
                verb = "watch"
            else:
                verb = "get" if named else "list"
        elif method == "POST" and not named:
            verb = "create"
        elif method == "PUT" and named:
            verb = "update"
        elif method == "PATCH" and named:
            verb = "patch"
        elif method == "DELETE":
            verb = "delete" if named else "deletecollection"
        else:
            raise method_not_allowed(method)
        rtype = target.rtype
        allowed = STATUS_VERBS if target.subresource else rtype.verbs
        if verb not in allowed:
            raise method_not_allowed(method)
        cluster = self.cluster
        delay = cluster.faults.delay(rtype.key, rtype.plural)
        if delay:
            await asyncio.sleep(delay)
        cluster.faults.check(rtype.key, rtype.group, rtype.plural, verb, target.namespace or "")
        if target.subresource == "scale":
            return await serve_scale(
                cluster, request, rtype, target.namespace or "", target.name or "", verb
            )
        if verb == "watch":
            return await serve_watch(cluster, request, rtype, target.namespace, target.name)
        if verb == "list":
            return self._list(request, target)
        if verb == "get":
            entry = cluster.get(rtype, target.namespace or "", target.name or "")
            return self._object(request, rtype, entry)
        dry_run = bool(query.get("dryRun"))
        if verb == "create":
            body = await json_body(request)
            warnings = check_fields(cluster, request, rtype, body)
            entry = cluster.create(
                rtype,
                target.namespace or "",
                body,
                dry_run=dry_run,
                field_manager=field_manager(request),
            )
            return self._object(request, rtype, entry, 201, warnings)
        if verb == "update":
            body = await json_body(request)
            warnings = check_fields(cluster, request, rtype, body)
            entry = cluster.replace(
                rtype,
                target.namespace or "",
                target.name or "",
                body,
                subresource=target.subresource,
                dry_run=dry_run,
                field_manager=field_manager(request),
            )
            return self._object(request, rtype, entry, 200, warnings)
        if verb == "patch":
            return await self._patch(request, target, dry_run)
        if verb == "delete":
            return await self._delete(request, target, dry_run)
        labels, fields = selectors(request, rtype)
        deleted = cluster.delete_collection(rtype, target.namespace, labels, fields)
        return self._list_body(rtype, deleted, cluster.rv, None, None)

    def _object(
        self,
        request: web.Request,
        rtype: ResourceType,
        entry: Entry,
        status: int = 200,
        warnings: list[str] | None = None,
    ) -> web.Response:
        headers = {"Warning": ", ".join(warnings)} if warnings else None
        if wants_table(request.headers.get("Accept", "")):
            include = request.query.get("includeObject", "Metadata")
            doc = table(rtype, [entry], entry.rv, include, crd_of(self.cluster, rtype))
            return json_response(orjson.dumps(doc), status, headers)
        body = entry.raw_as(rtype.api_version, rtype.storage_api_version)
        return json_response(body, status, headers)

    async def _patch(self, request: web.Request, target: Target, dry_run: bool) -> web.Response:
        content_type = request.content_type
        if content_type not in PATCH_TYPES:
            accepted = ", ".join(PATCH_TYPES)
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {accepted}",
            )
        raw = await request.read()
        try:
            patch = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            what = "apply patches are accepted as JSON only" if content_type == APPLY_PATCH else ""
            raise bad_request(f"error decoding patch: {exc} {what}".strip()) from exc
        rtype = target.rtype
        warnings = check_fields(self.cluster, request, rtype, patch, content_type)
        entry = self.cluster.patch(
            rtype,
            target.namespace or "",
            target.name or "",
            content_type,
            patch,
            subresource=target.subresource,
            dry_run=dry_run,
            field_manager=field_manager(request, applying=content_type == APPLY_PATCH),
            force=flag(request.query.get("force")),
        )
        return self._object(request, rtype, entry, 200, warnings)

    async def _delete(self, request: web.Request, target: Target, dry_run: bool) -> web.Response:
        options: dict[str, Any] = {}
        raw = await request.read()
        if raw.strip():
            try:
                decoded = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise bad_request(f"error decoding DeleteOptions: {exc}") from exc
            if not isinstance(decoded, dict):
                raise bad_request("DeleteOptions must be a JSON object")
            options = decoded
        preconditions = options.get("preconditions") or {}
        if not isinstance(preconditions, dict):
            raise bad_request("preconditions must be an object")
        propagation = options.get("propagationPolicy") or request.query.get(
            "propagationPolicy", "Background"
        )
        if flag(request.query.get("orphanDependents")) or options.get("orphanDependents"):
            propagation = "Orphan"
        rtype = target.rtype
        entry, gone = self.cluster.delete(
            rtype,
            target.namespace or "",
            target.name or "",
            propagation=str(propagation),
            precondition_uid=preconditions.get("uid"),
            precondition_rv=preconditions.get("resourceVersion"),
            dry_run=dry_run or bool(options.get("dryRun")),
        )
        return self._object(request, rtype, entry, 200 if gone else 202)

    def _list(self, request: web.Request, target: Target) -> web.Response:
        rtype = target.rtype
        labels, fields = selectors(request, rtype)
        limit = query_int(request.query, "limit")
        token = request.query.get("continue") or None
        page = self.cluster.list_page(rtype, target.namespace, labels, fields, limit, token)
        if wants_table(request.headers.get("Accept", "")):
            include = request.query.get("includeObject", "Metadata")
            doc = table(rtype, page.entries, page.rv, include, crd_of(self.cluster, rtype))
            if page.continue_token:
                doc["metadata"]["continue"] = page.continue_token
            return json_response(orjson.dumps(doc))
        return self._list_body(rtype, page.entries, page.rv, page.continue_token, page.remaining)

    def _list_body(
        self,
        rtype: ResourceType,
        entries: list[Entry],
        rv: int,
        continue_token: str | None,
        remaining: int | None,
    ) -> web.Response:
        meta = b'{"resourceVersion":"' + str(rv).encode() + b'"'
        if continue_token:
            meta += b',"continue":"' + continue_token.encode() + b'"'
        if remaining is not None:
            meta += b',"remainingItemCount":' + str(remaining).encode()
        head = (
            b'{"kind":"'
            + rtype.list_kind.encode()
            + b'","apiVersion":"'
            + rtype.api_version.encode()
            + b'","metadata":'
            + meta
            + b'},"items":['
        )
        if rtype.api_version == rtype.storage_api_version:
            items = b",".join([e.raw for e in entries])
        else:
            version, stored = rtype.api_version, rtype.storage_api_version
            items = b",".join([e.raw_as(version, stored) for e in entries])
        return json_response(head + items + b"]}")
