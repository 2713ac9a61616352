"""The ``/openapi/v2`` and ``/openapi/v3`` endpoints of a simulated cluster.

Owns rendering the OpenAPI documents of what the cluster serves right now (built-in
kinds, the create-only self-subject reviews and established CRDs), the v3 index with
a content hash per group/version (a ``?hash=`` request is answered immutable, as real
servers do), and choosing the v2 encoding the client accepts (JSON, or the gnostic
protobuf kubectl asks for).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from graphql_server.simulator.catalogue import CRD_GROUP, CRD_PLURAL, ResourceType
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.reviews import review_groups, review_types
from graphql_server.simulator.http.wire import json_response
from graphql_server.simulator.schemas import documents, gnostic
from graphql_server.simulator.status import path_not_found

V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
# What real servers label it (Go's mime parser refuses the ``@`` of the request form).
V2_PROTOBUF_SERVED = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _crds(cluster: ClusterModel) -> dict[str, dict[str, Any]]:
    rtype = cluster.resolve(CRD_GROUP, "v1", CRD_PLURAL)
    found: dict[str, dict[str, Any]] = {}
    for entry in cluster.store(rtype).sorted_entries(None):
        obj = entry.obj
        spec = obj.get("spec") or {}
        found[f"{(spec.get('names') or {}).get('plural')}.{spec.get('group')}"] = obj
    return found


def _group_versions(cluster: ClusterModel) -> dict[str, list[ResourceType]]:
    out: dict[str, list[ResourceType]] = {}
    for group in cluster.groups:
        for version in cluster.versions_of(group):
            out[documents.gv_path(group, version)] = cluster.served_types(group, version)
    for group, versions in review_groups().items():
        for version in versions:
            path = documents.gv_path(group, version)
            out[path] = out.get(path, []) + review_types(group, version)
    return out


def _v3_bodies(cluster: ClusterModel) -> dict[str, bytes]:
    crds = _crds(cluster)
    return {
        path: documents.render(documents.group_version_doc(types, crds))
        for path, types in _group_versions(cluster).items()
    }


def serve_openapi(cluster: ClusterModel, request: web.Request, parts: list[str]) -> web.Response:
    if request.method != "GET":
        raise path_not_found()
    if parts == ["openapi", "v2"]:
        return _v2(cluster, request)
    if parts[:2] != ["openapi", "v3"]:
        raise path_not_found()
    bodies = _v3_bodies(cluster)
    if len(parts) == 2:
        return json_response(documents.render(documents.v3_index(bodies)))
    body = bodies.get("/".join(parts[2:]))
    if body is None:
        raise path_not_found()
    headers = {"Etag": f'"{documents.content_hash(body)}"'}
    if request.query.get("hash"):
        headers["Cache-Control"] = "public, immutable"
        headers["Expires"] = "Fri, 01 Jan 2100 00:00:00 GMT"
    else:
        headers["Cache-Control"] = "no-cache, private"
    return json_response(body, headers=headers)


def _v2(cluster: ClusterModel, request: web.Request) -> web.Response:
    types = [t for gv in _group_versions(cluster).values() for t in gv]
    doc = documents.v2_doc(types, _crds(cluster))
    if V2_PROTOBUF in request.headers.get("Accept", ""):
        return web.Response(body=gnostic.document(doc), content_type=V2_PROTOBUF_SERVED)
    return json_response(documents.render(doc))
