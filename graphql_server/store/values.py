"""Guards for values the connection stores send to the database.

A lookup value that cannot be in a column (longer than the column, or holding a NUL
character, which PostgreSQL refuses in text) simply matches nothing; a value to be
written that holds a NUL is :class:`BadInput`. Must not know about any table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql_server.errors import BadInput


def usable(value: str, limit: int) -> bool:
    """Whether ``value`` could be stored in a column of ``limit`` characters."""
    return len(value) <= limit and "\x00" not in value


def usable_all(values: Iterable[str], limit: int) -> list[str]:
    """The values that could be stored in such a column (an empty list matches nothing)."""
    return [value for value in values if usable(value, limit)]


def text(value: str, field: str) -> str:
    if "\x00" in value:
        raise BadInput(f"{field} must not contain NUL characters", field=field)
    return value


def json_text(value: Any, field: str) -> Any:
    """``value`` unchanged, once no string in it (keys included) holds a NUL."""
    if isinstance(value, str):
        text(value, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            text(str(key), field)
            json_text(item, field)
    elif isinstance(value, list | tuple):
        for item in value:
            json_text(item, field)
    return value


def printable(value: str) -> str:
    """Text for the event log, with any NUL replaced rather than refused."""
    return value.replace("\x00", "\ufffd")
