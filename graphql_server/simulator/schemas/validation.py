"""Validating custom resources against their CRD's structural schema.

Owns checking a value against an OpenAPI v3 schema the way the apiserver validates
custom resources: ``type``, ``enum``, ``required``, bounds (``minimum``, ``maximum``,
lengths, item counts), ``pattern`` and nested ``properties``/``items``/
``additionalProperties``; each failure is a (field path, message) cause worded like the
apiserver's. ``metadata`` is left to the object-metadata checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from graphql_server.simulator.schemas.walking import Node

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return orjson.dumps(value).decode()


def _type_ok(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, (object,)))


def _bounds(schema: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, str]]:
    bad = f"Invalid value: {_shown(value)}: {path} in body should"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield path, f"{bad} be greater than or equal to {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield path, f"{bad} be less than or equal to {schema['maximum']}"
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            yield path, f"{bad} be at least {schema['minLength']} chars long"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield path, f"Too long: may not be more than {schema['maxLength']} bytes"
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            yield path, f"{bad} match '{pattern}'"
    if isinstance(value, list):
        count = f"Invalid value: {len(value)}: {path} in body should"
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield path, f"{count} have at least {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield path, f"Too many: {len(value)}: must have at most {schema['maxItems']} items"
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        allowed = ", ".join(_shown(v) for v in enum)
        yield path, f"Unsupported value: {_shown(value)}: supported values: {allowed}"


def validate(node: Node, value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """The causes why ``value`` does not satisfy ``node``'s schema."""
    schema = node.schema
    if value is None:
        kind = schema.get("type")
        if kind and not schema.get("nullable"):
            yield path, f'Invalid value: "null": {path} in body must be of type {kind}: "null"'
        return
    kind = schema.get("type")
    typed = isinstance(kind, str) and kind and not schema.get("x-kubernetes-int-or-string")
    if typed and not _type_ok(str(kind), value):
        actual = _shown(next((k for k in _TYPES if _type_ok(k, value)), "unknown"))
        yield path, f"Invalid value: {actual}: {path} in body must be of type {kind}: {actual}"
        return
    yield from _bounds(schema, value, path)
    if isinstance(value, dict):
        for key in node.required:
            if key not in value:
                yield (f"{path}.{key}" if path else key), "Required value"
        for key, item in value.items():
            if not path and key in ("metadata", "apiVersion", "kind"):
                continue
            child = node.child(key)
            if child is not None:
                yield from validate(child, item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        items = node.items()
        for index, item in enumerate(value):
            yield from validate(items, item, f"{path}[{index}]")
