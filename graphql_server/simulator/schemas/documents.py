"""OpenAPI documents of what a simulated cluster serves, as real apiservers publish them.

Owns the ``/openapi/v3`` discovery index, one OpenAPI 3 document per group/version
(paths with their ``x-kubernetes-group-version-kind`` and query parameters, so clients
see server-side field validation, and ``components.schemas`` with the kinds and what
they reference) and the OpenAPI v2 (swagger 2.0) document. Built-in kinds come from the
packaged catalogue; custom resources from their CRDs' ``openAPIV3Schema``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.schemas import builtin

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
INFO = {"title": "Kubernetes", "version": "v1.31.0"}
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")


def crd_definition_name(group: str, version: str, kind: str) -> str:
    """The name real servers give a custom kind's schema (reversed group)."""
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def crd_version_schema(crd: dict[str, Any], version: str, prefix: str) -> dict[str, Any]:
    """The OpenAPI schema of one version of a CRD's kind, metadata as ObjectMeta."""
    spec = crd.get("spec") or {}
    schema: dict[str, Any] = {}
    for entry in spec.get("versions") or []:
        if isinstance(entry, dict) and entry.get("name") == version:
            found = ((entry.get("schema") or {}).get("openAPIV3Schema")) or {}
            schema = copy.deepcopy(found) if isinstance(found, dict) else {}
    if not schema:
        schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    props = schema.setdefault("properties", {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    ref = {"$ref": prefix + OBJECT_META}
    props["metadata"] = {"allOf": [ref]} if prefix == builtin.V3_PREFIX else ref
    schema.setdefault("type", "object")
    names = spec.get("names") or {}
    schema["x-kubernetes-group-version-kind"] = [
        {"group": spec.get("group", ""), "version": version, "kind": names.get("kind", "")}
    ]
    return schema


def _param(name: str, v3: bool) -> dict[str, Any]:
    typed: dict[str, Any] = {"schema": {"type": "string"}} if v3 else {"type": "string"}
    return {"name": name, "in": "query", "uniqueItems": True, **typed}


def _operation(rtype: ResourceType, action: str, params: Iterable[str], v3: bool) -> dict[str, Any]:
    gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
    verb = {"get": "read", "list": "list", "post": "create", "put": "replace",
            "patch": "patch", "delete": "delete"}[action]  # fmt: skip
    return {
        "operationId": f"{verb}{rtype.kind}",
        "parameters": [_param(p, v3) for p in params],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    }


def paths(rtype: ResourceType, v3: bool) -> dict[str, Any]:
    """The collection and object paths of ``rtype`` with the operations its verbs allow."""
    base = rtype.path_prefix
    if rtype.namespaced:
        base += "/namespaces/{namespace}"
    collection = f"{base}/{rtype.plural}"
    item = collection + "/{name}"
    # (path, method, verb the type must serve, action, query parameters)
    table = (
        (collection, "get", "list", "list", ("labelSelector", "fieldSelector", "limit")),
        (collection, "post", "create", "post", _WRITE_PARAMS),
        (item, "get", "get", "get", ()),
        (item, "put", "update", "put", _WRITE_PARAMS),
        (item, "patch", "patch", "patch", (*_WRITE_PARAMS, "force")),
        (item, "delete", "delete", "delete", ("dryRun",)),
    )
    ops: dict[str, Any] = {}
    for path, method, verb, action, params in table:
        if verb in rtype.verbs:
            ops.setdefault(path, {})[method] = _operation(rtype, action, params, v3)
    return ops


def _kind_schemas(
    types: Iterable[ResourceType], crds: dict[str, dict[str, Any]], v3: bool
) -> dict[str, dict[str, Any]]:
    """Definitions of the kinds ``types`` hold (built-in closure plus CRD schemas)."""
    prefix = builtin.V3_PREFIX if v3 else builtin.V2_PREFIX
    defs = builtin.definitions(v3)
    roots: list[str] = []
    custom: dict[str, dict[str, Any]] = {}
    for rtype in types:
        name = builtin.definition_of(rtype.api_version, rtype.kind)
        if name is not None:
            roots.append(name)
            continue
        crd = crds.get(f"{rtype.plural}.{rtype.group}")
        if crd is not None:
            custom[crd_definition_name(rtype.group, rtype.version, rtype.kind)] = (
                crd_version_schema(crd, rtype.version, prefix)
            )
            roots.append(OBJECT_META)
    return {**builtin.closure(roots, defs), **custom}


def group_version_doc(types: list[ResourceType], crds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI 3 document of one group/version."""
    all_paths: dict[str, Any] = {}
    for rtype in types:
        all_paths.update(paths(rtype, True))
    return {
        "openapi": "3.0.0",
        "info": INFO,
        "paths": all_paths,
        "components": {"schemas": _kind_schemas(types, crds, True)},
    }


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def content_hash(body: bytes) -> str:
    return hashlib.sha512(body).hexdigest().upper()


def v3_index(bodies: dict[str, bytes]) -> dict[str, Any]:
    """The ``/openapi/v3`` discovery document over already rendered group/versions."""
    return {
        "paths": {
            path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={content_hash(body)}"}
            for path, body in sorted(bodies.items())
        }
    }


def v2_doc(types: list[ResourceType], crds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The swagger 2.0 document of everything served."""
    all_paths: dict[str, Any] = {}
    for rtype in types:
        all_paths.update(paths(rtype, False))
    return {
        "swagger": "2.0",
        "info": INFO,
        "paths": all_paths,
        "definitions": _kind_schemas(types, crds, False),
    }


def render(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc)
