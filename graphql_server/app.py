"""The ASGI application: GraphQL over HTTP and websockets, health and readiness.

The lifespan owns everything long-lived: the database, the broker and the
background tasks (sync, demo cluster), and stops them in reverse order.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from graphql_server.api.context import Context, Services
from graphql_server.api.schema import build_schema
from graphql_server.broker import Broker, InProcessBroker
from graphql_server.errors import GraphQLServerError
from graphql_server.settings import Settings
from graphql_server.store import Store

log = logging.getLogger(__name__)

# Extra parts of the process (sync, demo cluster) started after the store and broker.
Component = Callable[[Services], AbstractAsyncContextManager[Any]]


class GraphQLEndpoint(GraphQL[Context, None]):
    """strawberry's ASGI view bound to this process's services."""

    def __init__(self, services_getter: Callable[[], Services], **kwargs: Any) -> None:
        self._services = services_getter
        super().__init__(**kwargs)

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(services=self._services(), request=request, response=response)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            # Malformed requests get a GraphQL-shaped error, not a bare text body.
            body = {
                "data": None,
                "errors": [{"message": exc.reason, "extensions": {"code": "BAD_INPUT"}}],
            }
            response = Response(
                orjson.dumps(body), status_code=exc.status_code, media_type="application/json"
            )
        await response(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    broker: Broker | None = None,
    components: tuple[Component, ...] = (),
) -> Starlette:
    state: dict[str, Services] = {}

    def services() -> Services:
        return state["services"]

    schema = build_schema(settings)
    graphql = GraphQLEndpoint(
        services,
        schema=schema,
        graphql_ide="graphiql",
        keep_alive=True,
        keep_alive_interval=15,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        allowed_origins=settings.allowed_origins,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await Store.open(settings.effective_database_url())
        bus = broker or InProcessBroker()
        await bus.start()
        state["services"] = Services(settings=settings, store=store, broker=bus)
        app.state.services = state["services"]
        try:
            async with _started(components, state["services"]):
                yield
        finally:
            await bus.stop()
            await store.close()

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

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
        return JSONResponse({"ready": True})

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )


@asynccontextmanager
async def _started(components: tuple[Component, ...], services: Services) -> AsyncIterator[None]:
    if not components:
        yield
        return
    first, rest = components[0], components[1:]
    async with first(services), _started(rest, services):
        yield
