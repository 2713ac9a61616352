"""GraphQL over HTTP's media types: which one a client asked for, and what the
``application/graphql-response+json`` one changes about a response.

A client whose ``Accept`` header prefers ``application/graphql-response+json`` gets
it, with the status codes of the GraphQL-over-HTTP specification: a request that
never reached execution (a syntax, validation or variable coercion error) is a 400
without a ``data`` entry. Every other client, and one sending no ``Accept`` or only
``*/*``, gets ``application/json`` and a 200 as before.
"""

from __future__ import annotations

from typing import Any

import orjson

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def negotiate(accept: str | None) -> str:
    """The media type to answer with: the better of the two the client accepts."""
    best, best_q = JSON, 0.0
    for part in (accept or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if media not in (GRAPHQL_RESPONSE, JSON):
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:  # on equal weights, the one the client listed first
            best, best_q = media, q
    return best if best_q > 0 else JSON


def request_error(body: Any) -> bool:
    """Whether a result is a request error: no data, and no error from execution
    (execution errors carry the path of their field)."""
    if not isinstance(body, dict) or body.get("data") is not None:
        return False
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return False
    return all(isinstance(error, dict) and error.get("path") is None for error in errors)


def as_graphql_response(status: int, content: bytes) -> tuple[int, bytes]:
    """A JSON response re-cast for a ``application/graphql-response+json`` client."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return status, content
    if status == 200 and request_error(body):
        status = 400
    if status >= 400 and isinstance(body, dict) and body.get("data") is None:
        body.pop("data", None)
    return status, orjson.dumps(body)
