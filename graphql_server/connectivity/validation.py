"""Checks a JSON value against the small JSON Schema subset the connection definitions use.

Supported keywords: ``type`` (object, string, boolean, integer, array), ``properties``,
``required``, ``additionalProperties: false``, ``default``, ``minLength``,
``maxLength``, ``pattern``, ``format: uri`` (http or https with a host), ``items``,
``maxItems`` and ``uniqueItems``. Strings are stripped of surrounding whitespace.

Errors name the offending field and never the value, which may be a secret. This module
must not know about connection kinds; it does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from graphql_server.errors import BadInput

__all__ = ["validate"]

_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "array": (list, tuple),
}
_TYPE_WORDS = {
    "object": "an object",
    "string": "a string",
    "boolean": "true or false",
    "integer": "an integer",
    "array": "a list",
}


def _fail(context: str, path: str, problem: str) -> BadInput:
    return BadInput(f"{context}: field {path!r} {problem}", field=path)


def _is_uri(text: str) -> bool:
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _check(value: Any, schema: Mapping[str, Any], path: str, context: str) -> Any:
    expected = schema.get("type")
    if expected is not None:
        kinds = _TYPES[expected]
        wrong_bool = expected == "integer" and isinstance(value, bool)
        if not isinstance(value, kinds) or wrong_bool:
            raise _fail(context, path, f"must be {_TYPE_WORDS[expected]}")
    if isinstance(value, str):
        return _check_string(value.strip(), schema, path, context)
    if isinstance(value, dict):
        return _check_object(value, schema, path, context)
    if isinstance(value, list | tuple):
        return _check_array(list(value), schema, path, context)
    return value


def _check_string(value: str, schema: Mapping[str, Any], path: str, context: str) -> str:
    if len(value) < schema.get("minLength", 0):
        problem = "must not be empty" if schema.get("minLength") == 1 else "is too short"
        raise _fail(context, path, problem)
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise _fail(context, path, f"is longer than {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise _fail(context, path, "contains characters or a form that is not allowed")
    if schema.get("format") == "uri" and not _is_uri(value):
        raise _fail(context, path, "must be an http:// or https:// URL with a host")
    return value


def _check_array(value: list[Any], schema: Mapping[str, Any], path: str, context: str) -> list[Any]:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise _fail(context, path, f"may hold at most {schema['maxItems']} items")
    item_schema = schema.get("items", {})
    items = [_check(item, item_schema, f"{path}[{i}]", context) for i, item in enumerate(value)]
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for i, item in enumerate(items):
            if item in seen:
                raise _fail(context, f"{path}[{i}]", "repeats an earlier item")
            seen.append(item)
    return items


def _check_object(
    value: Mapping[str, Any], schema: Mapping[str, Any], path: str, context: str
) -> dict[str, Any]:
    properties: Mapping[str, Mapping[str, Any]] = schema.get("properties", {})
    prefix = f"{path}." if path else ""
    if schema.get("additionalProperties") is False:
        for name in value:
            if name not in properties:
                raise _fail(context, f"{prefix}{name}", "is not accepted here")
    for name in schema.get("required", ()):
        if value.get(name) is None:
            raise _fail(context, f"{prefix}{name}", "is required")
    result: dict[str, Any] = {}
    for name, item in value.items():
        sub = properties.get(name, {})
        if item is None and name not in schema.get("required", ()):
            continue
        result[name] = _check(item, sub, f"{prefix}{name}", context)
    for name, sub in properties.items():
        if name not in result and "default" in sub:
            default = sub["default"]
            result[name] = list(default) if isinstance(default, list) else default
    return result


def validate(value: Any, schema: Mapping[str, Any], *, context: str) -> dict[str, Any]:
    """Return a normalised copy of ``value`` (an object) with defaults filled in.

    ``context`` starts every error message, e.g. ``"prometheus basic credential"``.
    """
    if not isinstance(value, Mapping):
        raise BadInput(f"{context}: must be an object")
    return _check_object(value, schema, "", context)
