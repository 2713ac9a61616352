"""The two GraphQL websocket protocols, with authentication, keep-alives and shared
subscriptions.

- ``graphql-transport-ws``: the token comes in the ``connection_init`` payload
  (or the handshake's ``Authorization`` header); a wrong or missing one closes
  the socket with 4403. The server sends a ``ping`` every keep-alive interval
  (clients answer ``pong``) and answers the client's pings.
- ``graphql-ws`` (legacy): same tokens; refusal is a ``connection_error``
  message followed by close code 4403; keep-alives are ``ka`` messages.

Subscriptions run through ``api.transport.sharing``: identical ones share one execution
and each connection only sends the encoded results, as text frames (the
transport adapter must offer ``send_utf8``: ``TextSending``; a server may offer
the cheaper sending of text in parts as the scope extension ``TEXT_FRAMES``).
Everything else takes strawberry's ordinary path.

Handlers are created per connection by the view; the keep-alive task belongs
to its connection and ends with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol, cast

import orjson
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    CompleteMessage,
    ConnectionErrorMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)

from graphql_server.api.auth import Access, access_for, bearer, token_from_params
from graphql_server.api.context import Context
from graphql_server.api.transport.sharing import (
    Ended,
    Key,
    Refused,
    Result,
    SharedStreams,
    missed_payload,
)
from graphql_server.events import Missed
from graphql_server.tasks import TaskOwner

FORBIDDEN = 4403
REFUSAL: dict[str, object] = {
    "message": "a valid bearer token is required",
    "extensions": {"code": "UNAUTHENTICATED"},
}


TEXT_FRAMES = "graphql_server.text_frames"
"""A scope extension of the server: ``async (*parts: bytes) -> None`` sends one text
message whose UTF-8 encoding is the parts joined, raising ``OSError`` once the
connection is closed."""


class TextSending(Protocol):
    async def send_utf8(self, *parts: bytes) -> None:
        """Send one text message whose UTF-8 encoding is ``parts`` joined."""


def authenticate(context: Context, params: Any) -> Access | None:
    """What the connection may do: from ``connection_init``, else the handshake header."""
    token = token_from_params(params if isinstance(params, dict) else None)
    if token is None and context.request is not None:
        token = bearer(context.request.headers.get("authorization"))
    return access_for(context.services.settings, token)


def admit(context: Context) -> None:
    """The view's ``on_ws_connect``: record the access or refuse the connection."""
    access = authenticate(context, context.connection_params)
    if access is None:
        raise ConnectionRejectionError(REFUSAL)
    context.access = access


def _shared(
    context: Context, query: Any, variables: Any, name: Any
) -> tuple[SharedStreams, Key] | None:
    streams: SharedStreams | None = context.services.streams
    if streams is None:
        return None
    key = streams.key(query, variables, name)
    return None if key is None else (streams, key)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    _keep_alive: TaskOwner | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        interval = self.view.keep_alive_interval
        if self.connection_acknowledged and self._keep_alive is None and interval:
            self._keep_alive = TaskOwner("websocket")
            self._keep_alive.spawn("keep-alive", self._pinging(interval))

    async def _pinging(self, interval: float) -> None:
        with contextlib.suppress(WebSocketDisconnected):
            while True:
                await asyncio.sleep(interval)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self._keep_alive is not None:
            await self._keep_alive.close()
        await super().shutdown()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        shared = _shared(
            self.context, operation.query, operation.variables, operation.operation_name
        )
        if shared is None:
            await super().run_operation(operation)
            return
        try:
            await self._run_shared(operation, *shared)
        except WebSocketDisconnected:
            self.operations.pop(operation.id, None)
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)

    async def _run_shared(
        self, operation: Operation[Context, None], streams: SharedStreams, key: Key
    ) -> None:
        socket = cast(TextSending, self.websocket)
        prefix = b'{"id":' + orjson.dumps(operation.id) + b',"type":"next","payload":'
        async with streams.join(key, self.context, operation.variables) as mailbox:
            async for item in mailbox:
                if operation.completed:
                    return
                if isinstance(item, Result):
                    await socket.send_utf8(prefix, item.payload, b"}")
                elif isinstance(item, Missed):
                    await socket.send_utf8(prefix, missed_payload(item.dropped), b"}")
                    break
                elif isinstance(item, Refused):
                    refusal = {"id": operation.id, "type": "error", "payload": list(item.errors)}
                    await operation.send_operation_message(refusal)  # type: ignore[arg-type]
                    return
                elif isinstance(item, Ended):
                    break
        await operation.send_operation_message({"id": operation.id, "type": "complete"})


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        payload = message.get("payload")
        if (payload is None or isinstance(payload, dict)) and authenticate(
            self.context, payload
        ) is None:
            refusal = ConnectionErrorMessage(type="connection_error", payload=REFUSAL)
            await self.send_message(refusal)
            await self.websocket.close(code=FORBIDDEN, reason="Forbidden")
            return
        await super().handle_connection_init(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        shared = _shared(self.context, query, variables, operation_name)
        if shared is None:
            await super().handle_async_results(operation_id, query, operation_name, variables)
            return
        complete = CompleteMessage(type="complete", id=operation_id)
        try:
            await self._run_shared(operation_id, variables, *shared)
            await self.send_message(complete)
        except asyncio.CancelledError:
            with contextlib.suppress(WebSocketDisconnected):
                await self.send_message(complete)
        except WebSocketDisconnected:
            pass
        finally:
            self.tasks.pop(operation_id, None)

    async def _run_shared(
        self,
        operation_id: str,
        variables: dict[str, object] | None,
        streams: SharedStreams,
        key: Key,
    ) -> None:
        socket = cast(TextSending, self.websocket)
        prefix = b'{"type":"data","id":' + orjson.dumps(operation_id) + b',"payload":'
        async with streams.join(key, self.context, variables) as mailbox:
            async for item in mailbox:
                if isinstance(item, Result):
                    await socket.send_utf8(prefix, item.payload, b"}")
                elif isinstance(item, Missed):
                    await socket.send_utf8(prefix, missed_payload(item.dropped), b"}")
                    return
                elif isinstance(item, Refused):
                    first = item.errors[0] if item.errors else {"message": "refused"}
                    error = {"type": "error", "id": operation_id, "payload": first}
                    await socket.send_utf8(orjson.dumps(error))
                    return
                elif isinstance(item, Ended):
                    return
