"""The ASGI application: GraphQL over HTTP and websockets, the web console at ``/``,
GraphiQL, the favicon, health, readiness and Prometheus metrics
(``graphql_server.metrics``, fed what the components yield).

The lifespan owns everything long-lived: the database, the broker, the shared
subscription feeds and the background tasks (sync, demo cluster, generated components
following the stored CRDs, the event log's retention, the connections' health loop),
and stops them in reverse order. HTTP requests are authenticated here
(``Authorization: Bearer``); websockets in their ``connection_init``
(``api.transport.websockets``).
The console and GraphiQL are served from the package's own static files, with no
network access; the console's page forbids (by its Content-Security-Policy) loading
anything from another origin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from graphql_server import __version__
from graphql_server.api.auth import access_for, bearer, check_exposure, tokens_required
from graphql_server.api.context import Context, Services
from graphql_server.api.schema import build_schema
from graphql_server.api.transport.fanout import Feeds
from graphql_server.api.transport.limits import (
    InputRefused,
    check_document,
    decode_checked,
    read_body,
    replaying,
)
from graphql_server.api.transport.media import GRAPHQL_RESPONSE, as_graphql_response, negotiate
from graphql_server.api.transport.origins import RequestOrigins
from graphql_server.api.transport.sharing import SharedStreams
from graphql_server.api.transport.websockets import (
    TEXT_FRAMES,
    LegacyWSHandler,
    TransportWSHandler,
    admit,
)
from graphql_server.broker import Broker, InProcessBroker
from graphql_server.errors import GraphQLServerError
from graphql_server.metrics import Metrics
from graphql_server.services.crds import following_crds
from graphql_server.services.health_checking import HealthPolicy, connection_health
from graphql_server.services.models import load_registry
from graphql_server.services.notifications import Retention, event_retention
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.identity import finish_rotation, secrets_for, server_id_for
from graphql_server.sync.service import SyncService
from graphql_server.sync.stats import SyncStats
from graphql_server.tasks import TaskRestarts

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Parts:
    """What the running components expose to the rest of the app: the sync, if any."""

    sync: SyncService | None = None

    def sync_stats(self) -> list[SyncStats]:
        return [] if self.sync is None else [self.sync.stats()]

    def source_report(self) -> list[dict[str, object]]:
        """Each cluster source's latest connection attempt (``/readyz``'s ``sources``)."""
        return [] if self.sync is None else self.sync.source_report()


# Extra parts of the process (sync, demo cluster) started after the store and broker;
# each yields the sync service it runs, or None.
Component = Callable[[Services], AbstractAsyncContextManager[SyncService | None]]


def _graphiql_page() -> str:
    return (resources.files("graphql_server") / "static" / "graphiql" / "index.html").read_text(
        encoding="utf-8"
    )


def _console_page() -> bytes:
    return (resources.files("graphql_server") / "static" / "console" / "index.html").read_bytes()


# The console loads its script, stylesheet and icons from this server and talks to its
# GraphQL endpoint (HTTP and websocket); registry icons are data: images.
CONSOLE_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-cache",
}


def _error_response(status: int, message: str, code: str, **headers: str) -> Response:
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _recast(response: Response) -> Response:
    """A JSON response as ``application/graphql-response+json`` (``api.transport.media``)."""
    if response.media_type != "application/json":
        return response  # GraphiQL's page, a stream
    status, body = as_graphql_response(response.status_code, bytes(response.body))
    headers = {
        k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
    }
    return Response(
        body, status_code=status, media_type=f"{GRAPHQL_RESPONSE}; charset=utf-8", headers=headers
    )


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends GraphQL messages as text frames, which browser clients require; through
    the server's ``TEXT_FRAMES`` extension when it offers one."""

    def __init__(self, view: Any, request: WebSocket, response: WebSocket) -> None:
        super().__init__(view, request, response)
        extensions = response.scope.get("extensions") or {}
        self._send_parts: Callable[..., Awaitable[None]] | None = extensions.get(TEXT_FRAMES)

    async def send_json(self, message: Mapping[str, object]) -> None:
        await self.send_text(orjson.dumps(message).decode())

    async def send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def send_utf8(self, *parts: bytes) -> None:
        if self._send_parts is None:
            await self.send_text(b"".join(parts).decode())
            return
        try:
            await self._send_parts(*parts)
        except OSError as exc:
            raise WebSocketDisconnected from exc


class GraphQLEndpoint(GraphQL[Context, None]):
    """strawberry's ASGI view bound to this process's services."""

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    websocket_adapter_class = TextWebSocketAdapter

    def __init__(
        self, services_getter: Callable[[], Services], settings: Settings, **kwargs: Any
    ) -> None:
        self._services = services_getter
        self._settings = settings
        self._page = _graphiql_page()
        super().__init__(**kwargs)

    async def get_context(self, request: Any, response: Any) -> Context:
        access = None
        if scope_type(request) == "http":
            access = access_for(self._settings, bearer(request.headers.get("authorization")))
        return Context(services=self._services(), request=request, response=response, access=access)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        admit(context)
        acknowledged: UnsetType = UNSET  # an ack without payload
        return acknowledged

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._page)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return decode_checked(data, self._settings.max_query_bytes)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except InputRefused as exc:
            raise HTTPException(exc.status, exc.message) from None
        except ValueError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        try:
            check_document(params.get("query"), self._settings.max_query_bytes)
        except InputRefused as exc:
            raise HTTPException(exc.status, exc.message) from None
        return super().parse_query_params(params)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        if self._refused(request):
            response = _error_response(
                401,
                "a valid bearer token is required",
                "UNAUTHENTICATED",
                **{"www-authenticate": "Bearer"},
            )
        else:
            try:
                body = await read_body(receive, request.headers, self._settings.max_request_bytes)
                request = Request(scope=scope, receive=replaying(body))
                async with asyncio.timeout(self._settings.request_timeout):
                    response = await self.run(request)
            except InputRefused as exc:
                response = _error_response(exc.status, exc.message, "REQUEST_TOO_LARGE")
            except TimeoutError:
                response = _error_response(
                    504,
                    f"the request took longer than {self._settings.request_timeout:g} s",
                    "TIMEOUT",
                )
            except HTTPException as exc:
                # Malformed requests get a GraphQL-shaped error, not a bare text body.
                code = "REQUEST_TOO_LARGE" if exc.status_code == 413 else "BAD_INPUT"
                response = _error_response(exc.status_code, exc.reason, code)
        if negotiate(request.headers.get("accept")) == GRAPHQL_RESPONSE:
            response = _recast(response)
        await response(scope, receive, send)

    def _refused(self, request: Request) -> bool:
        """Without a valid token (when tokens are set) only the GraphiQL page is served."""
        if not tokens_required(self._settings):
            return False
        if access_for(self._settings, bearer(request.headers.get("authorization"))) is not None:
            return False
        return not self.should_render_graphql_ide(self.request_adapter_class(request))


def scope_type(request: Any) -> str:
    return str(request.scope["type"])


def create_app(
    settings: Settings,
    *,
    broker: Broker | None = None,
    components: tuple[Component, ...] = (),
    restarts: TaskRestarts | None = None,
) -> Starlette:
    """The app; ``restarts`` counts its kept tasks' restarts (and the broker's, when the
    caller hands the broker the same one)."""
    check_exposure(settings)
    restarts = restarts if restarts is not None else TaskRestarts()
    state: dict[str, Services] = {}

    def services() -> Services:
        return state["services"]

    metrics = Metrics(settings, restarts)
    schema = build_schema(settings, metrics.operations)
    graphql = GraphQLEndpoint(
        services,
        settings,
        schema=schema,
        graphql_ide="graphiql",
        keep_alive=True,
        keep_alive_interval=settings.keep_alive_interval,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        allowed_origins=settings.allowed_origins,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Whatever was opened is closed again, also when a later step fails (NATS
        # unreachable): an open database keeps the process from ending.
        async with AsyncExitStack() as opened:
            await _open_services(app, opened)
            yield

    async def _open_services(app: Starlette, opened: AsyncExitStack) -> None:
        store = await Store.open(
            settings.effective_database_url(),
            secrets=secrets_for(settings),
            server_id=server_id_for(settings),
            pool_size=settings.database_pool_size,
        )
        opened.push_async_callback(store.close)
        await finish_rotation(settings, store.credentials)
        bus = broker or InProcessBroker()
        await bus.start()
        opened.push_async_callback(bus.stop)
        feeds = Feeds()
        opened.push_async_callback(feeds.close)
        streams = SharedStreams(schema, settings.max_tokens)
        opened.push_async_callback(streams.close)
        state["services"] = Services(
            settings=settings,
            store=store,
            broker=bus,
            feeds=feeds,
            streams=streams,
            registry=await load_registry(store),
            restarts=restarts,
        )
        app.state.services = state["services"]
        parts = Parts()  # what the components yielded (the sync service)
        app.state.parts = parts
        metrics.attach(state["services"], parts.sync_stats)
        retention = Retention(settings.event_retention_days, settings.event_retention_count)
        health = HealthPolicy(interval=settings.health_interval, failures=settings.health_failures)
        await opened.enter_async_context(following_crds(store, state["services"].registry, bus))
        await opened.enter_async_context(event_retention(store, bus, retention, restarts))
        await opened.enter_async_context(_started(components, state["services"], parts))
        await opened.enter_async_context(
            connection_health(store, bus, health, parts.source_report, restarts)
        )

    favicon = (resources.files("graphql_server") / "static" / "favicon.svg").read_bytes()

    async def icon(request: Request) -> Response:
        return Response(
            favicon, media_type="image/svg+xml", headers={"cache-control": "max-age=86400"}
        )

    console = _console_page()

    async def home(request: Request) -> Response:
        return HTMLResponse(console, headers=CONSOLE_HEADERS)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(request: Request) -> Response:
        current = state.get("services")
        if current is None:
            return JSONResponse({"ready": False, "reason": "starting"}, status_code=503)
        try:
            await current.store.database.ping()
            pending = await current.store.database.pending_migrations()
        except GraphQLServerError as exc:
            return JSONResponse({"ready": False, "reason": exc.message}, status_code=503)
        if pending:
            return JSONResponse(
                {"ready": False, "reason": f"{len(pending)} migrations pending"}, status_code=503
            )
        sync = request.app.state.parts.sync
        if sync is not None and sync.writer.unavailable is not None:
            # Another task's ping can succeed while the writer cannot commit.
            reason = f"the sync cannot save changes: {sync.writer.unavailable}"
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        degraded = [] if sync is None else sync.tracker.degraded()
        # Readiness is about the store: a cluster that cannot be reached is its own
        # sync status and source report, not this server's readiness (it still serves
        # every cluster it holds).
        sources = request.app.state.parts.source_report()
        unhealthy = [s["name"] for s in sources if not s["healthy"]]
        return JSONResponse(
            {
                "ready": True,
                "sources": sources,
                "unhealthy": unhealthy,
                "degradedClusters": degraded,
            }
        )

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount("/static", StaticFiles(packages=[("graphql_server", "static")]), name="static"),
            Route("/", home),
            Route("/favicon.ico", icon),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        middleware=[Middleware(RequestOrigins, settings=settings)],
        lifespan=lifespan,
    )


@asynccontextmanager
async def _started(
    components: tuple[Component, ...], services: Services, parts: Parts
) -> AsyncIterator[None]:
    if not components:
        yield
        return
    first, rest = components[0], components[1:]
    async with first(services) as part:
        if part is not None:
            parts.sync = part
        async with _started(rest, services, parts):
            yield
