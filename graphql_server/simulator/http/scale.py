"""Requests to the ``scale`` subresource: read, replace and patch an object's Scale.

Owns serving ``GET``/``PUT``/``PATCH .../{name}/scale``: the object rendered as an
``autoscaling/v1`` Scale, and a new replica count written back to the object (as a
merge patch at the type's replicas path, so the object's own admission applies).
A Scale's ``resourceVersion``, when given, must be the object's current one.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.wire import crd_of, field_manager, json_body, json_response
from graphql_server.simulator.patching import (
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    PatchError,
    json_patch,
    merge_patch,
)
from graphql_server.simulator.scaling import replicas_patch, scale_paths, to_scale
from graphql_server.simulator.status import (
    bad_request,
    conflict,
    invalid,
    path_not_found,
    unsupported_media_type,
)


def _replicas(scale: Any, name: str) -> int:
    replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise invalid(
            "Scale",
            name,
            "autoscaling",
            [("spec.replicas", f"Invalid value: {replicas!r}: must be greater than or equal to 0")],
        )
    return replicas


async def _patched(request: web.Request, current: dict[str, Any]) -> Any:
    content_type = request.content_type
    if content_type not in (MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH):
        raise unsupported_media_type((JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH))
    try:
        patch = orjson.loads(await request.read())
        if content_type == JSON_PATCH:
            return json_patch(current, patch)
        if not isinstance(patch, dict):
            raise PatchError("a merge patch must be an object", malformed=True)
        return merge_patch(current, patch)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc
    except PatchError as exc:
        raise bad_request(str(exc)) from exc


async def serve_scale(
    cluster: ClusterModel,
    request: web.Request,
    rtype: ResourceType,
    namespace: str,
    name: str,
    verb: str,
) -> web.Response:
    paths = scale_paths(rtype, crd_of(cluster, rtype))
    if paths is None:
        raise path_not_found()
    entry = cluster.get(rtype, namespace, name)
    current = to_scale(entry.obj, paths)
    if verb == "get":
        return json_response(orjson.dumps(current))
    wanted = await json_body(request) if verb == "update" else await _patched(request, current)
    replicas = _replicas(wanted, name)
    expected = ((wanted.get("metadata") or {}) if isinstance(wanted, dict) else {}).get(
        "resourceVersion"
    )
    if verb == "update" and expected not in (None, "", str(entry.rv)):
        raise conflict(rtype.group, rtype.plural, name)
    updated = cluster.patch(
        rtype,
        namespace,
        name,
        MERGE_PATCH,
        replicas_patch(paths, replicas),
        dry_run=bool(request.query.get("dryRun")),
        field_manager=field_manager(request),
    )
    return json_response(orjson.dumps(to_scale(updated.obj, paths)))
