"""The built-in schema catalogue, decoded from its compact packaged form.

Owns reading ``builtin.json`` once and expanding its entries into OpenAPI schema
objects (v3 flavour: ``#/components/schemas/`` references; v2 flavour:
``#/definitions/``), the ``x-kubernetes-group-version-kind`` of each kind, and which
definition holds a given ``apiVersion``/``kind``.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import orjson

V3_PREFIX = "#/components/schemas/"
V2_PREFIX = "#/definitions/"

_SIMPLE: dict[str, dict[str, Any]] = {
    "s": {"type": "string"},
    "i": {"type": "integer", "format": "int64"},
    "n": {"type": "number", "format": "double"},
    "b": {"type": "boolean"},
    "t": {"type": "string", "format": "date-time"},
    "o": {},
}


@functools.cache
def _catalogue() -> dict[str, Any]:
    raw = resources.files(__package__).joinpath("builtin.json").read_bytes()
    data: dict[str, Any] = orjson.loads(raw)
    return data


def kinds() -> dict[str, str]:
    """Definition name by ``apiVersion/kind`` (``apps/v1/Deployment``)."""
    found: dict[str, str] = _catalogue()["kinds"]
    return found


def definition_of(api_version: str, kind: str) -> str | None:
    return kinds().get(f"{api_version}/{kind}")


def _type(token: str, prefix: str, v3: bool) -> dict[str, Any]:
    if token.startswith("["):
        return {"type": "array", "items": _type(token[1:], prefix, v3)}
    if token.startswith("{"):
        return {"type": "object", "additionalProperties": _type(token[1:], prefix, v3)}
    if token.startswith("#"):
        ref = {"$ref": prefix + token[1:]}
        return {"allOf": [ref]} if v3 else ref
    return dict(_SIMPLE[token])


def _gvk(kind_key: str) -> dict[str, str]:
    api_version, _, kind = kind_key.rpartition("/")
    group, _, version = api_version.rpartition("/")
    return {"group": group, "version": version, "kind": kind}


@functools.cache
def definitions(v3: bool = True) -> dict[str, dict[str, Any]]:
    """Every built-in definition as an OpenAPI schema, by definition name."""
    prefix = V3_PREFIX if v3 else V2_PREFIX
    gvks: dict[str, list[dict[str, str]]] = {}
    for key, name in kinds().items():
        gvks.setdefault(name, []).append(_gvk(key))
    out: dict[str, dict[str, Any]] = {}
    for name, compact in _catalogue()["defs"].items():
        props: dict[str, Any] = {}
        for prop, (token, description, *patch) in compact["p"].items():
            schema = _type(token, prefix, v3)
            if description:
                schema["description"] = description
            if patch:
                key, strategy = patch
                if key:
                    schema["x-kubernetes-patch-merge-key"] = key
                    schema["x-kubernetes-list-type"] = "map"
                    schema["x-kubernetes-list-map-keys"] = [key]
                schema["x-kubernetes-patch-strategy"] = strategy
            props[prop] = schema
        schema = {"type": "object", "properties": props}
        if compact.get("d"):
            schema["description"] = compact["d"]
        if compact.get("r"):
            schema["required"] = list(compact["r"])
        if name in gvks:
            schema["x-kubernetes-group-version-kind"] = gvks[name]
        out[name] = schema
    return out


def references(schema: Any) -> set[str]:
    """The definition names ``schema`` refers to, directly."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.add(ref.rpartition("/")[2])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def closure(roots: list[str], defs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``roots`` and every definition they reach."""
    seen: dict[str, dict[str, Any]] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen or name not in defs:
            continue
        seen[name] = defs[name]
        stack.extend(references(defs[name]))
    return dict(sorted(seen.items()))
