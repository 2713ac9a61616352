"""Subscriptions over real websockets, on both GraphQL websocket protocols."""

from __future__ import annotations

import json

import pytest
import websockets

from graphql_server.events import RESOURCES_TOPIC
from tests.conftest import RunningServer
from tests.helpers import LEGACY_WS, TRANSPORT_WS, WSClient, ws_client
from tests.store.test_resources import CLUSTER, row

SUBSCRIPTION = """
subscription ($filter: ResourceFilter) {
  resourceEvents(filter: $filter) { type resource { id name namespace labels resourceVersion } }
}
"""


async def publish(server: RunningServer, *rows: object, deletes: tuple[str, ...] = ()) -> None:
    services = server.services
    events = await services.store.resources.apply(
        list(rows),  # type: ignore[arg-type]
        [(CLUSTER, uid) for uid in deletes],
    )
    for event in events:
        await services.broker.publish(RESOURCES_TOPIC, event)


async def wait_for_subscriber(server: RunningServer, count: int = 1) -> None:
    import asyncio

    standing = 1  # the registry's CRD follower, subscribed for the server's whole life
    for _ in range(200):
        if server.services.broker.subscriber_count(RESOURCES_TOPIC) >= standing + count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never reached the broker")


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_subscription_streams_filtered_events(server: RunningServer, protocol: str) -> None:
    async with ws_client(server.ws_url, protocol) as client:
        op = await client.subscribe(
            SUBSCRIPTION, {"filter": {"namespaces": ["shop"], "labelSelector": "app=web"}}
        )
        await wait_for_subscriber(server)
        await publish(
            server,
            row("1", "web-1", namespace="shop", labels={"app": "web"}),
            row("2", "other-ns", namespace="blog", labels={"app": "web"}),
            row("3", "db", namespace="shop", labels={"app": "db"}),
        )
        await publish(
            server, row("1", "web-1", namespace="shop", labels={"app": "web"}, version="2")
        )
        await publish(server, deletes=("1",))
        received = [(await client.next_data(op))["data"]["resourceEvents"] for _ in range(3)]
    assert [
        (e["type"], e["resource"]["name"], e["resource"]["resourceVersion"]) for e in received
    ] == [
        ("ADDED", "web-1", "1"),
        ("MODIFIED", "web-1", "2"),
        ("DELETED", "web-1", "2"),
    ]
    assert received[0]["resource"]["id"] == f"{CLUSTER}/1"


async def test_leaving_and_entering_a_filter(server: RunningServer) -> None:
    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(SUBSCRIPTION, {"filter": {"labelSelector": "app=web"}})
        await wait_for_subscriber(server)
        await publish(server, row("1", "a", labels={"app": "web"}))
        await publish(server, row("1", "a", labels={"app": "db"}, version="2"))
        await publish(server, row("1", "a", labels={"app": "web"}, version="3"))
        types = [(await client.next_data(op))["data"]["resourceEvents"]["type"] for _ in range(3)]
    assert types == ["ADDED", "DELETED", "ADDED"]


async def test_bad_filter_is_an_error_message(server: RunningServer) -> None:
    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(SUBSCRIPTION, {"filter": {"labelSelector": "in in in"}})
        message = await client.receive()
    assert message["id"] == op
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [])
    assert errors[0]["extensions"]["code"] == "BAD_INPUT", message


async def test_unsupported_subprotocol_is_refused(server: RunningServer) -> None:
    with pytest.raises(websockets.exceptions.WebSocketException):
        async with websockets.connect(server.ws_url, subprotocols=["chat"]) as ws:  # type: ignore[list-item]
            await ws.recv()


async def test_unknown_message_closes_with_protocol_code(server: RunningServer) -> None:
    async with websockets.connect(server.ws_url, subprotocols=[TRANSPORT_WS]) as ws:  # type: ignore[list-item]
        client = WSClient(ws, TRANSPORT_WS)
        await client.send({"type": "connection_init"})
        assert (await client.receive())["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "bogus"}))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
