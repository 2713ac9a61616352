"""Host and Origin checks for every HTTP request and websocket.

Without an access token the server trusts whoever can reach it, which on loopback
means the local user, unless a web page gets there through DNS rebinding (a name
the attacker controls, pointed at 127.0.0.1). Such requests carry the attacker's
name in ``Host``: in no-token mode only loopback names, the address the server
listens on and the ``--allowed-host`` names are served. Browsers' cross-origin
writes (a form or ``fetch`` POST from another site) carry an ``Origin`` that is not
this server's: they are refused unless listed with ``--allowed-origin``; requests
without ``Origin`` (command-line clients) and same-origin pages (GraphiQL) pass.
Websocket origins are checked by the GraphQL view itself. ``/healthz`` and
``/readyz`` answer anyone: probes call them by address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from graphql_server.api.auth import is_loopback, tokens_required
from graphql_server.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def host_name(host_header: str) -> str:
    """The name of a ``Host`` value, without its port (IPv6 literals unbracketed)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class RequestOrigins:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.check_hosts = not tokens_required(settings)
        names = {name.lower() for name in settings.allowed_hosts}
        if settings.host.lower() not in WILDCARDS:
            names.add(settings.host.lower().strip("[]"))
        self.hosts = frozenset(names)
        self.origins = frozenset(origin.lower().rstrip("/") for origin in settings.allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        refusal: str | None = None
        if self.check_hosts and not self.host_allowed(host):
            refusal = (
                f"host {host_name(host)!r} is not served without an access token; "
                "list it with --allowed-host or set --auth-token"
            )
        elif scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and not self.origin_allowed(origin, host):
                refusal = (
                    f"cross-origin requests from {origin!r} are refused; "
                    "list the origin with --allowed-origin"
                )
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4403, "reason": "Forbidden"})
        else:
            await _forbidden(send, refusal)

    def host_allowed(self, host: str) -> bool:
        name = host_name(host)
        return bool(name) and (is_loopback(name) or name in self.hosts)

    def origin_allowed(self, origin: str, host: str) -> bool:
        normalized = origin.strip().lower().rstrip("/")
        if normalized in self.origins:
            return True
        parts = urlsplit(normalized)
        return parts.scheme in ("http", "https") and parts.netloc == host.strip().lower()


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the first of repeated ones)."""
    found: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or ():
        found.setdefault(raw_name.decode("latin-1").lower(), raw_value.decode("latin-1"))
    return found


async def _forbidden(send: Send, message: str) -> None:
    body = orjson.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": "FORBIDDEN"}}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
