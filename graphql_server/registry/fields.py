"""Field readers for definition documents: type checks with precise problem reports.

Owns the per-field validation rules (names, apiVersions, kinds, colours, SVG icons,
JSON schemas) and the ``Problems`` collector that records which field failed and
why. Readers never raise on bad input: they record a problem and return ``None``.
Must not know about document formats or build definitions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from graphql_server.registry.definitions import canonical_schema
from graphql_server.registry.icons import is_hex_color
from graphql_server.registry.svg import SvgRejected, sanitise

IconSource = Callable[[str], str | None]
"""Looks up an icon file reference (``icons/<name>.svg``); only built-in data has one."""

NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?")
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
API_VERSION = re.compile(
    r"(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*/)?"
    r"v[0-9]+(?:(?:alpha|beta)[0-9]+)?"
)
KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")
SHAPE = re.compile(r"[a-z][a-z-]{0,39}")
ICON_REFERENCE = re.compile(r"icons/[a-z0-9][a-z0-9-]{0,80}\.svg")

MAX_SCHEMA_CHARS = 4 * 1024 * 1024
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    reason: str


class Problems:
    """The problems found in one item; an item with any problem is rejected whole."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append(Problem(path, reason))

    def __bool__(self) -> bool:
        return bool(self.items)


def at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def read_object(
    obj: Mapping[str, Any], key: str, path: str, problems: Problems, *, required: bool = False
) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is None:
        if required:
            problems.add(at(path, key), "required object is missing")
        return None
    if not isinstance(value, Mapping):
        problems.add(at(path, key), f"expected an object, got {type_name(value)}")
        return None
    return value


def read_str(
    obj: Mapping[str, Any],
    key: str,
    path: str,
    problems: Problems,
    *,
    required: bool = False,
    pattern: re.Pattern[str] | None = None,
    expected: str = "",
    max_len: int = 253,
    empty_is_missing: bool = False,
) -> str | None:
    value = obj.get(key)
    if isinstance(value, str) and empty_is_missing and not value.strip():
        value = None
    if value is None:
        if required:
            problems.add(at(path, key), "required string is missing")
        return None
    if not isinstance(value, str):
        problems.add(at(path, key), f"expected a string, got {type_name(value)}")
        return None
    if len(value) > max_len:
        problems.add(at(path, key), f"longer than {max_len} characters")
        return None
    if pattern is not None and not pattern.fullmatch(value):
        problems.add(at(path, key), f"{value[:80]!r} is not {expected or 'valid'}")
        return None
    if pattern is None and required and not value.strip():
        problems.add(at(path, key), "must not be empty")
        return None
    return value


def read_bool(obj: Mapping[str, Any], key: str, path: str, problems: Problems) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        problems.add(at(path, key), f"expected a boolean, got {type_name(value)}")
        return None
    return value


def read_int(
    obj: Mapping[str, Any], key: str, path: str, problems: Problems, *, bound: int = 1_000_000
) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(at(path, key), f"expected an integer, got {type_name(value)}")
        return None
    if not -bound <= value <= bound:
        problems.add(at(path, key), f"must be between {-bound} and {bound}")
        return None
    return value


def read_color(
    obj: Mapping[str, Any], key: str, path: str, problems: Problems, *, lenient: bool = False
) -> str | None:
    value = read_str(obj, key, path, problems, max_len=64, empty_is_missing=lenient)
    if value is not None and not is_hex_color(value):
        problems.add(
            at(path, key), f"{value!r} is not a colour of the form #RGB, #RRGGBB or #RRGGBBAA"
        )
        return None
    return value


def read_svg(
    obj: Mapping[str, Any],
    key: str,
    path: str,
    problems: Problems,
    *,
    icons: IconSource | None = None,
    lenient: bool = False,
) -> str | None:
    value = obj.get(key)
    if isinstance(value, str) and lenient and not value.strip():
        return None
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(at(path, key), f"expected SVG markup as a string, got {type_name(value)}")
        return None
    if ICON_REFERENCE.fullmatch(value):
        if icons is None:
            problems.add(at(path, key), "icon file references are only allowed in built-in data")
            return None
        markup = icons(value)
        if markup is None:
            problems.add(at(path, key), f"icon file {value!r} does not exist")
            return None
        value = markup
    try:
        return sanitise(value).markup
    except SvgRejected as exc:
        problems.add(at(path, key), str(exc))
        return None


def read_schema(
    obj: Mapping[str, Any], key: str, path: str, problems: Problems, *, lenient: bool = False
) -> str | None:
    """A JSON schema given as an object or as JSON text; stored as canonical JSON text."""
    value = obj.get(key)
    if isinstance(value, str):
        if lenient and not value.strip():
            return None
        if len(value) > MAX_SCHEMA_CHARS:
            problems.add(at(path, key), f"schema is larger than {MAX_SCHEMA_CHARS} characters")
            return None
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            problems.add(at(path, key), f"schema text is not valid JSON ({exc})")
            return None
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.add(at(path, key), f"expected a JSON schema object, got {type_name(value)}")
        return None
    try:
        text = canonical_schema(value)
    except (TypeError, ValueError) as exc:
        problems.add(at(path, key), f"schema cannot be stored as JSON ({exc})")
        return None
    if len(text) > MAX_SCHEMA_CHARS:
        problems.add(at(path, key), f"schema is larger than {MAX_SCHEMA_CHARS} characters")
        return None
    return text


def reject_unknown(
    obj: Mapping[str, Any], allowed: frozenset[str], path: str, problems: Problems
) -> None:
    for key in obj:
        if key not in allowed:
            problems.add(at(path, str(key)), "unknown field")
