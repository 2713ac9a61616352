"""Small real HTTP servers for connectivity tests: a Kubernetes API, Grafana, odd servers."""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

KUBE_TOKEN = "kube-good-token-7f3a9c1e5b"
KUBE_LIMITED_TOKEN = "kube-limited-token-2d8e4f6a0c"
KUBE_CLIENT_CN = "cluster-admin"
KUBE_VERSION = "v1.30.2-fixture"

GRAFANA_TOKEN = "glsa_fixture_9b1c7e3d5f"
GRAFANA_USER = "grafana-admin"
GRAFANA_PASSWORD = "grafana-secret-pw-4c2e"
GRAFANA_VERSION = "10.4.1"

PROM_BEARER = "prom-bearer-token-8a6c4e2f0d"

_INVALID = "invalid"

SEEN = web.AppKey("seen", list[dict[str, Any]])
# How each request that named a user was authenticated ("certificate:<CN>", "token").
AUTHENTICATED = web.AppKey("authenticated", list[str])
CLIENT = web.AppKey("client", aiohttp.ClientSession)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[str]:
    """Run ``app`` on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[0][1]
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _status(code: int, reason: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": reason,
        "code": code,
    }
    return web.json_response(body, status=code)


def _kube_user(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is not None:
        request.app[AUTHENTICATED].append("token")
        return {f"Bearer {KUBE_TOKEN}": "admin", f"Bearer {KUBE_LIMITED_TOKEN}": "limited"}.get(
            header, _INVALID
        )
    peer = request.transport.get_extra_info("peercert") if request.transport else None
    if peer:
        names = [
            value for rdn in peer.get("subject", ()) for key, value in rdn if key == "commonName"
        ]
        request.app[AUTHENTICATED].extend(f"certificate:{name}" for name in names)
        if KUBE_CLIENT_CN in names:
            return "admin"
    return None


def kubernetes_app() -> web.Application:
    """Answers /version and /api/v1/namespaces like an API server with RBAC."""
    app = web.Application()
    seen: list[dict[str, Any]] = []
    app[SEEN] = seen
    app[AUTHENTICATED] = []

    async def version(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "query": dict(request.query)})
        if _kube_user(request) == _INVALID:
            return _status(401, "Unauthorized")
        return web.json_response(
            {"major": "1", "minor": "30", "gitVersion": KUBE_VERSION, "platform": "linux/amd64"}
        )

    async def namespaces(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "query": dict(request.query)})
        user = _kube_user(request)
        if user == _INVALID:
            return _status(401, "Unauthorized")
        if user != "admin":
            return _status(403, "Forbidden")
        item = {"metadata": {"name": "default", "uid": "ns-uid-1"}}
        return web.json_response(
            {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {}, "items": [item]}
        )

    app.router.add_get("/version", version)
    app.router.add_get("/api/v1/namespaces", namespaces)
    return app


def _grafana_authorized(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    if header == f"Bearer {GRAFANA_TOKEN}":
        return True
    expected = base64.b64encode(f"{GRAFANA_USER}:{GRAFANA_PASSWORD}".encode()).decode()
    return header == f"Basic {expected}"


def grafana_app(*, database: str = "ok") -> web.Application:
    """Answers /api/health without auth and /api/org with token or basic auth."""
    app = web.Application()

    async def health(request: web.Request) -> web.Response:
        body = {"commit": "0123abc", "database": database, "version": GRAFANA_VERSION}
        return web.json_response(body, status=200 if database == "ok" else 503)

    async def org(request: web.Request) -> web.Response:
        if not _grafana_authorized(request):
            return web.json_response({"message": "Unauthorized"}, status=401)
        return web.json_response({"id": 1, "name": "Main Org.", "address": {}})

    app.router.add_get("/api/health", health)
    app.router.add_get("/api/org", org)
    return app


def slow_app(release: asyncio.Event) -> web.Application:
    """Accepts connections but answers nothing until ``release`` is set."""
    app = web.Application()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app.router.add_get("/{tail:.*}", hang)
    return app


def html_app() -> web.Application:
    """A web server that is not an API: every path answers an HTML page."""
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Sign in</body></html>", content_type="text/html")

    app.router.add_get("/{tail:.*}", page)
    return app


def bearer_proxy_app(upstream: str) -> web.Application:
    """An auth proxy in front of a real server, as often deployed before Prometheus."""
    app = web.Application()

    async def client_ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            app[CLIENT] = session
            yield

    async def forward(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {PROM_BEARER}":
            return web.json_response({"status": "error", "error": "unauthorized"}, status=401)
        session = request.app[CLIENT]
        async with session.get(upstream + request.rel_url.raw_path_qs) as response:
            body = await response.read()
            return web.Response(
                body=body, status=response.status, content_type=response.content_type
            )

    app.cleanup_ctx.append(client_ctx)
    app.router.add_get("/{tail:.*}", forward)
    return app
