"""Small clients for the tests: GraphQL over HTTP and over both websocket protocols,
and :func:`until`, the polled wait that replaces sleeping as synchronisation."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import websockets

from graphql_server.broker import Broker

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


async def until(condition: Callable[[], Awaitable[bool] | bool], within: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"within {within}s: {what}")
        await asyncio.sleep(0.05)


def subscriber_counts(broker: Broker, *topics: str) -> dict[str, int]:
    """How many subscribers each topic has now (before subscribing to it)."""
    return {topic: broker.subscriber_count(topic) for topic in topics}


async def until_subscribed(broker: Broker, before: Mapping[str, int], within: float = 10) -> None:
    """Until each topic has a subscriber more than ``before`` counted: the subscriptions
    just opened have reached the broker, so nothing published from now on is missed."""
    await until(
        lambda: all(broker.subscriber_count(t) > n for t, n in before.items()),
        within,
        f"a new subscriber on each of {sorted(before)}",
    )


async def post(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        body = {"query": query, "variables": variables or {}}
        async with session.post(url, json=body, headers=headers) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text


async def data(url: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    """POST a query and return its data, failing on any error."""
    status, body = await post(url, query, variables)
    assert status == 200, body
    assert "errors" not in body, body["errors"]
    return body["data"]


class WSClient:
    """A GraphQL websocket client for either protocol."""

    def __init__(self, ws: Any, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._next_id = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, wait: float = 10) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
            if message.get("type") not in ("ka", "ping", "pong"):
                return dict(message)
            if message["type"] == "ping":
                await self.send({"type": "pong"})

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        op_id = str(self._next_id)
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload = {"query": query, "variables": variables or {}}
        await self.send({"type": kind, "id": op_id, "payload": payload})
        return op_id

    async def next_data(self, op_id: str, wait: float = 10) -> dict[str, Any]:
        message = await self.receive(wait)
        expected = "next" if self.protocol == TRANSPORT_WS else "data"
        assert message.get("id") == op_id, message
        assert message["type"] == expected, message
        return dict(message["payload"])


@asynccontextmanager
async def ws_client(
    url: str,
    protocol: str = TRANSPORT_WS,
    init_payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[WSClient]:
    async with websockets.connect(url, subprotocols=[protocol], additional_headers=headers) as ws:
        client = WSClient(ws, protocol)
        await client.send({"type": "connection_init", "payload": init_payload or {}})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        yield client
