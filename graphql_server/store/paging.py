"""Opaque cursors for keyset pages of connections and event log entries.

A cursor is URL-safe base64 of a small JSON list tagged with what it pages, so a cursor
of one list is refused by another with :class:`BadInput`. Must not hold query logic.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from graphql_server.errors import BadInput

MAX_PAGE = 1000


def encode_cursor(tag: str, *values: Any) -> str:
    raw = orjson.dumps([tag, *values])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(tag: str, cursor: str, size: int) -> list[Any]:
    """The ``size`` values of a cursor made by :func:`encode_cursor` with ``tag``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise BadInput("invalid cursor", field="after") from None
    if not isinstance(decoded, list) or len(decoded) != size + 1 or decoded[0] != tag:
        raise BadInput("the cursor belongs to another list", field="after")
    return list(decoded[1:])


def check_first(first: int) -> int:
    if not 0 <= first <= MAX_PAGE:
        raise BadInput(f"first must be between 0 and {MAX_PAGE}", field="first")
    return first
