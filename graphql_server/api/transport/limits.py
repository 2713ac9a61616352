"""Limits checked before a request reaches GraphQL: body size, JSON shape, document size.

Everything a client sends is bounded before any work proportional to it is done on
the event loop: an HTTP body is read up to ``max_request_bytes`` (413 beyond; a
declared ``Content-Length`` over it is refused before reading), JSON is decoded by
orjson and then walked once, iteratively, to refuse nesting deeper than
``MAX_JSON_DEPTH`` and strings holding NUL characters (which no database column
takes), and a GraphQL document over ``max_query_bytes`` is refused before parsing.
Refusals are ``InputRefused`` (a ``JSONDecodeError``, so websocket handlers treat
the message as unreadable) carrying the HTTP status the transport answers with.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import orjson

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

MAX_JSON_DEPTH = 64


class InputRefused(json.JSONDecodeError):
    """A request refused before execution, with the status that says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message, "", 0)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


def decode_checked(data: str | bytes, max_query_bytes: int) -> Any:
    """JSON decoded and checked: bounded nesting, no NUL in strings, a bounded
    ``query`` (top level for HTTP, ``payload.query`` for websocket messages)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise InputRefused(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        raise
    check_value(value)
    if isinstance(value, Mapping):
        check_document(value.get("query"), max_query_bytes)
        payload = value.get("payload")
        if isinstance(payload, Mapping):
            check_document(payload.get("query"), max_query_bytes)
    return value


def check_value(value: Any) -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH`` and strings holding NUL."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InputRefused("strings may not contain NUL characters")
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InputRefused(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    if "\x00" in key:
                        raise InputRefused("strings may not contain NUL characters")
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def check_document(query: object, max_query_bytes: int) -> None:
    if isinstance(query, str) and len(query) > max_query_bytes:
        # Characters, not bytes: an upper bound of the cost either way.
        raise InputRefused(
            f"the GraphQL document has {len(query)} characters; the limit is {max_query_bytes}",
            status=413,
        )


async def read_body(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes:
    """The whole request body, refused (413) as soon as it is known to exceed ``limit``."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise InputRefused(body_too_large(int(declared), limit), status=413)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise InputRefused(body_too_large(size, limit), status=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def body_too_large(size: int, limit: int) -> str:
    return f"the request body has at least {size} bytes; the limit is {limit}"


def replaying(body: bytes) -> Receive:
    """A ``receive`` that hands over a body already read, then waits for disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
