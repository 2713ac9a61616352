"""Live subscriptions over real websockets: every filter field on the server, leaving and
entering a filter, shared feeds, the missed-events signal, live counts, sync status and
keep-alives on both protocols."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from graphql_server.broker import InProcessBroker
from graphql_server.events import RESOURCES_TOPIC, SYNC_TOPIC, SyncStatusEvent
from graphql_server.settings import Settings
from tests.api.inventory.seed import C1, C2, apply, resource, seed, wait_for_feeds
from tests.conftest import RunningServer, free_port, serving
from tests.helpers import LEGACY_WS, TRANSPORT_WS, WSClient, ws_client

EVENTS = """
subscription ($filter: ResourceFilter) {
  resourceEvents(filter: $filter) { type resource { id name namespace resourceVersion } }
}
"""


async def events_of(client: WSClient, op: str, count: int) -> list[tuple[str, str, str]]:
    received = []
    for _ in range(count):
        event = (await client.next_data(op))["data"]["resourceEvents"]
        received.append(
            (event["type"], event["resource"]["name"], event["resource"]["resourceVersion"])
        )
    return received


async def assert_silent(client: WSClient, wait: float = 0.3) -> None:
    try:
        message = await client.receive(wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {message}")


CHANGES = [
    # (filter, the uid whose changes match)
    ({"clusterIds": [C2]}, "x-web"),
    ({"namespaces": ["blog"]}, "blog-0"),
    ({"kinds": ["Service"]}, "svc-web"),
    ({"apiVersions": ["apps/v1"], "search": "7D9F"}, "web-rs"),
    ({"labelSelector": "app in (db),!tier"}, "db-0"),
    ({"search": "7D9F-A"}, "web-a"),
    ({"owner": f"{C1}/web"}, "web-rs"),
]


@pytest.mark.parametrize(("filter", "uid"), CHANGES)
async def test_every_filter_field_is_applied_on_the_server(
    server: RunningServer, filter: dict[str, Any], uid: str
) -> None:
    await seed(server)
    rows = {row.uid: row for row in await_rows()}
    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(EVENTS, {"filter": filter})
        await wait_for_feeds(server)
        # Touch every resource once: only the matching one comes through.
        for row in rows.values():
            row.resource_version = "2"
        await apply(server, list(rows.values()))
        await apply(server, [], deletes=((rows[uid].cluster_id, uid),))
        received = await events_of(client, op, 2)
        await assert_silent(client)
    assert received == [("MODIFIED", rows[uid].name, "2"), ("DELETED", rows[uid].name, "2")]


def await_rows() -> list[Any]:
    from tests.api.inventory.seed import inventory

    return inventory()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_leaving_and_entering_a_label_filter(server: RunningServer, protocol: str) -> None:
    async with ws_client(server.ws_url, protocol) as client:
        op = await client.subscribe(
            EVENTS, {"filter": {"labelSelector": "app=web,tier notin (db)", "kinds": ["Pod"]}}
        )
        await wait_for_feeds(server)
        await apply(server, [resource("p", "p", labels={"app": "web"})])
        await apply(server, [resource("p", "p", labels={"app": "web", "x": "1"}, version="2")])
        await apply(server, [resource("p", "p", labels={"app": "web", "tier": "db"}, version="3")])
        await apply(server, [resource("p", "p", labels={"app": "db"}, version="4")])
        await apply(server, [resource("p", "p", labels={"app": "web"}, version="5")])
        await apply(server, [], deletes=((C1, "p"),))
        received = await events_of(client, op, 4)
    assert received == [
        ("ADDED", "p", "1"),
        ("MODIFIED", "p", "2"),
        ("DELETED", "p", "3"),  # left the filter
        ("ADDED", "p", "5"),  # entered it again; version 4 was outside it
    ]


ALL_EVENTS = "subscription { resourceEvents { type resource { name resourceVersion } } }"


async def test_identical_subscriptions_share_work(server: RunningServer) -> None:
    """Same document and variables: one execution. Same filter: one feed."""
    web = {"filter": {"labelSelector": "app=web"}}
    feeds, streams = server.services.feeds, server.services.streams
    standing = server.services.broker.subscriber_count(RESOURCES_TOPIC)  # the server's own
    assert feeds is not None
    assert streams is not None
    async with (
        ws_client(server.ws_url) as a,
        ws_client(server.ws_url, LEGACY_WS) as b,
        ws_client(server.ws_url) as c,
        ws_client(server.ws_url) as d,
    ):
        op_a = await a.subscribe(EVENTS, web)
        op_b = await b.subscribe(EVENTS, web)
        op_c = await c.subscribe(EVENTS, {"filter": {"labelSelector": "app=db"}})
        op_d = await d.subscribe(ALL_EVENTS)
        op_d2 = await d.subscribe(EVENTS)  # another document, the same (empty) filter
        await wait_for_feeds(server, 5)
        assert (streams.active, streams.subscribers()) == (4, 5)
        assert (feeds.active, feeds.subscribers()) == (3, 4)
        assert server.services.broker.subscriber_count(RESOURCES_TOPIC) == standing + 3
        await apply(server, [resource("w", "w", labels={"app": "web"})])
        await apply(server, [resource("x", "x", labels={"app": "db"})])
        assert await events_of(a, op_a, 1) == [("ADDED", "w", "1")]
        assert await events_of(b, op_b, 1) == [("ADDED", "w", "1")]
        assert await events_of(c, op_c, 1) == [("ADDED", "x", "1")]
        received = [await d.receive() for _ in range(4)]
        by_op = {
            op: [
                m["payload"]["data"]["resourceEvents"]["resource"]["name"]
                for m in received
                if m["id"] == op
            ]
            for op in (op_d, op_d2)
        }
        assert by_op == {op_d: ["w", "x"], op_d2: ["w", "x"]}
        await a.send({"type": "complete", "id": op_a})
        for _ in range(200):
            if streams.subscribers() == 4:
                break
            await asyncio.sleep(0.01)
        assert (streams.active, feeds.active) == (4, 3)  # b still listens to that execution
        await apply(server, [resource("w", "w", labels={"app": "web"}, version="2")])
        assert await events_of(b, op_b, 1) == [("MODIFIED", "w", "2")]
    for _ in range(200):
        if feeds.active == 0 and streams.active == 0:
            break
        await asyncio.sleep(0.01)
    assert (feeds.active, streams.active) == (0, 0)
    assert server.services.broker.subscriber_count(RESOURCES_TOPIC) == standing


async def test_owners_and_children_resolve_per_event(server: RunningServer) -> None:
    await seed(server)
    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(
            'subscription { resourceEvents(filter: { kinds: ["ReplicaSet"] }) '
            "{ type resource { name owners { name } children { name } } } }"
        )
        await wait_for_feeds(server)
        await apply(server, [resource("web", "web-v2", kind="Deployment", version="2")])
        await apply(
            server,
            [resource("rs", "rs", kind="ReplicaSet", owner=("Deployment", "web"))]
            + [resource(f"p{i}", f"p{i}", owner=("ReplicaSet", "rs")) for i in range(2)],
        )
        event = (await client.next_data(op))["data"]["resourceEvents"]
    assert event == {
        "type": "ADDED",
        "resource": {
            "name": "rs",
            "owners": [{"name": "web-v2"}],
            "children": [{"name": "p0"}, {"name": "p1"}],
        },
    }


async def test_a_subscriber_that_falls_behind_is_told_to_refetch(server: RunningServer) -> None:
    feeds = server.services.feeds
    assert feeds is not None
    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(EVENTS)
        await wait_for_feeds(server)
        # More events than a mailbox holds, published before anyone can take them.
        broker = server.services.broker
        assert isinstance(broker, InProcessBroker)
        events = await server.services.store.resources.apply(
            [resource(f"u{i}", f"n{i}") for i in range(feeds.mailbox + 50)], []
        )
        for event in events:
            broker.publish_nowait(RESOURCES_TOPIC, event)
        message = await client.receive()
        assert message["id"] == op
        assert message["type"] == "next", message
        errors = message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "MISSED_EVENTS"
        assert "refetch" in errors[0]["message"]
        assert (await client.receive())["type"] == "complete"
    for _ in range(200):
        if feeds.active == 0:
            break
        await asyncio.sleep(0.01)
    assert feeds.active == 0


async def test_mailboxes_stay_bounded() -> None:
    from graphql_server.api.transport.fanout import Feeds
    from graphql_server.events import Missed

    feeds = Feeds(mailbox=10)

    async def produce(emit: Any) -> None:
        for i in range(1000):
            emit(i)
        await asyncio.Event().wait()

    try:
        async with (
            feeds.join("k", "test", lambda: produce) as slow,
            feeds.join("k", "test", lambda: produce) as other,
        ):
            await asyncio.sleep(0.05)
            assert slow.backlog <= 10
            assert other.backlog <= 10
            first = await slow.get()
            assert isinstance(first, Missed)
            assert first.dropped >= 990
    finally:
        await feeds.close()


SUMMARY = """
subscription ($filter: ResourceFilter) {
  resourceSummary(filter: $filter) { total byKind { key count } byNamespace { key count } }
}
"""


async def test_resource_summary_pushes_coalesced_counts(server: RunningServer) -> None:
    await seed(server)
    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(SUMMARY, {"filter": {"kinds": ["Pod"], "namespaces": ["shop"]}})
        first = (await client.next_data(op))["data"]["resourceSummary"]
        assert first["total"] == 4
        await wait_for_feeds(server)
        await apply(server, [resource("other", "other", kind="Service")])  # not counted
        for i in range(30):
            await apply(server, [resource(f"burst{i}", f"burst{i}")])
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        started = loop.time()
        updates = []
        while True:
            summary = (await client.next_data(op, wait=3))["data"]["resourceSummary"]
            updates.append((loop.time() - started, summary["total"]))
            if summary["total"] == 34:
                break
        assert summary["byKind"] == [{"key": "Pod", "count": 34}]
        assert summary["byNamespace"] == [{"key": "shop", "count": 34}]
        # 30 changes over about 0.3 s: a handful of updates, not one per change.
        assert len(updates) <= 3, updates
        await assert_silent(client, 0.7)  # nothing pushed when nothing changed
        await apply(server, [], deletes=((C1, "burst0"),))
        assert (await client.next_data(op))["data"]["resourceSummary"]["total"] == 33


SYNC = """
subscription ($ids: [ID!]) {
  syncStatus(clusterIds: $ids) { clusterId phase resourceCount kinds { kind phase resourceCount } }
}
"""


async def test_sync_status_snapshot_then_changes(server: RunningServer) -> None:
    clusters = server.services.store.clusters
    await clusters.upsert(C1, "dev", "https://dev", "v1.31.0")
    await clusters.upsert(C2, "prod", "https://prod", "v1.31.0")
    await clusters.set_phase(C1, "SYNCING")
    async with ws_client(server.ws_url, LEGACY_WS) as client:
        op = await client.subscribe(SYNC, {"ids": [C1]})
        first = (await client.next_data(op))["data"]["syncStatus"]
        assert first == {"clusterId": C1, "phase": "SYNCING", "resourceCount": 0, "kinds": []}
        await wait_for_feeds(server)
        await clusters.save_kinds(
            [
                {
                    "cluster_id": C1,
                    "resource_type": "pods",
                    "api_version": "v1",
                    "kind": "Pod",
                    "phase": "SYNCED",
                    "resource_count": 7,
                }
            ]
        )
        await clusters.set_phase(C1, "SYNCED")
        broker = server.services.broker
        await broker.publish(SYNC_TOPIC, SyncStatusEvent(C2, "SYNCED", 3))  # not subscribed
        await broker.publish(SYNC_TOPIC, SyncStatusEvent(C1, "SYNCED", 7))
        update = (await client.next_data(op))["data"]["syncStatus"]
    assert update == {
        "clusterId": C1,
        "phase": "SYNCED",
        "resourceCount": 7,
        "kinds": [{"kind": "Pod", "phase": "SYNCED", "resourceCount": 7}],
    }


@pytest.fixture
async def quick_keep_alive(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}",
        port=free_port(),
        keep_alive_interval=0.2,
    )
    async with serving(settings, broker=InProcessBroker()) as running:
        yield running


async def test_keep_alives_on_both_protocols(quick_keep_alive: RunningServer) -> None:
    url = quick_keep_alive.ws_url
    async with websockets.connect(url, subprotocols=[TRANSPORT_WS]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        ack = await ws.recv()
        assert isinstance(ack, str), "browsers need text frames"
        assert json.loads(ack) == {"type": "connection_ack"}
        assert json.loads(await asyncio.wait_for(ws.recv(), 2)) == {"type": "ping"}
        await ws.send(json.dumps({"type": "pong"}))
        await ws.send(json.dumps({"type": "ping"}))
        replies = [json.loads(await asyncio.wait_for(ws.recv(), 2)) for _ in range(2)]
        assert {"type": "pong"} in replies
    async with websockets.connect(url, subprotocols=[LEGACY_WS]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        kinds = [json.loads(await asyncio.wait_for(ws.recv(), 2))["type"] for _ in range(2)]
        assert kinds == ["ka", "ka"]


async def test_a_slow_socket_only_overflows_its_own_mailbox(server: RunningServer) -> None:
    """Shared executions hand results to bounded mailboxes: a subscriber that does not
    take them gets MISSED_EVENTS, one that does gets everything."""
    from graphql_server.api.context import Context
    from graphql_server.api.transport.sharing import Result, SharedStreams, missed_payload
    from graphql_server.events import Missed

    running = server.services.streams
    assert running is not None
    streams = SharedStreams(running.schema, max_tokens=4000, mailbox=5)
    key = streams.key(ALL_EVENTS, None, None)
    assert key is not None
    assert streams.key("{ clusters { id } }", None, None) is None  # queries are not shared
    assert streams.key("subscription {", None, None) is None  # nor broken documents
    context = Context(services=server.services)
    try:
        async with (
            streams.join(key, context, None) as slow,
            streams.join(key, context, None) as keen,
        ):
            assert streams.active == 1
            feeds = server.services.feeds
            assert feeds is not None
            for _ in range(500):
                if feeds.subscribers():
                    break
                await asyncio.sleep(0.01)
            taken = []
            for i in range(20):
                await apply(server, [resource(f"u{i}", f"n{i}")])
                item = await asyncio.wait_for(keen.get(), 5)
                assert isinstance(item, Result)
                taken.append(json.loads(item.payload)["data"]["resourceEvents"]["resource"]["name"])
            assert taken == [f"n{i}" for i in range(20)]
            assert slow.backlog <= 5
            missed = await slow.get()
            assert isinstance(missed, Missed)
            assert missed.dropped >= 15
            assert b"MISSED_EVENTS" in missed_payload(missed.dropped)
    finally:
        await streams.close()
    assert streams.active == 0
