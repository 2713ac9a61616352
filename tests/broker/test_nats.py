"""The NATS JetStream broker against a real nats-server owned by each test.

Several brokers on one server stand for several replicas: each one's subscribers
receive every event, in the same order; publishes made while NATS is down are kept
and delivered once it is back; a follower that cannot resume tells its subscribers.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from graphql_server.broker.base import Subscription
from graphql_server.broker.client import NatsClient
from graphql_server.broker.codec import decode, encode
from graphql_server.broker.nats import NatsBroker, NatsOptions
from graphql_server.broker.outbox import frame
from graphql_server.errors import BadInput, BrokerUnavailable
from graphql_server.events import (
    COMMANDS_TOPIC,
    CONNECTIONS_TOPIC,
    LOG_TOPIC,
    RESOURCES_TOPIC,
    SYNC_TOPIC,
    ClusterCommand,
    ConnectionEvent,
    LogChange,
    LogEntry,
    Missed,
    ResourceEvent,
    ResourceEventType,
    SyncStatusEvent,
)
from tests.helpers import until
from tests.natsserver import NatsServer, nats_server

pytestmark = pytest.mark.nats
__all__ = ["nats_server"]  # the fixture, for the tests below

T0 = datetime(2026, 1, 1, 12, 30, tzinfo=UTC)


def resource_event(n: int) -> ResourceEvent:
    return ResourceEvent(
        ResourceEventType.MODIFIED,
        "c1",
        f"u{n}",
        {
            "id": f"c1/u{n}",
            "name": f"pod-{n}",
            "labels": {"app": "web"},
            "spec": {"containers": [{"image": "nginx"}]},
            "created_at": T0,
            "updated_at": None,
        },
        previous_labels={"app": "db"},
    )


def test_codec_round_trips_every_message() -> None:
    messages = [
        resource_event(1),
        SyncStatusEvent("c1", "SYNCED", 12, ({"resourceType": "pods", "count": 3},)),
        ConnectionEvent("STATUS_CHANGED", "x", "kubernetes", "CONNECTED", "s1", "REGISTERED"),
        LogEntry(7, T0, "info", "sync", "sync", "connection", "x", "kind", "hello", "s1", {}),
        LogEntry(
            8,
            T0,
            "error",
            "user",
            "connectivity_test",
            "endpoint",
            "",
            "e",
            "down",
            "s1",
            {},
            read=True,
            count=3,
            first_at=T0,
            last_at=T0,
            probable_cause="c",
            suggested_fix="f",
        ),
        LogChange("read", 5),
        ClusterCommand("resync", "c1", {"connection_id": "x"}),
        Missed("resources", 4),
    ]
    for message in messages:
        assert decode(encode(message)) == message
    with pytest.raises(BadInput):
        decode(b'{"k": "nope"}')
    with pytest.raises(BadInput):
        encode(object())


OPTIONS = NatsOptions(prefix="t", heartbeat=0.2, connect_wait=5)


@asynccontextmanager
async def broker(url: str, options: NatsOptions = OPTIONS) -> AsyncIterator[NatsBroker]:
    running = NatsBroker(url, options, name="test")
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def take(subscription: Subscription, count: int, wait: float = 10.0) -> list[object]:
    async with asyncio.timeout(wait):
        return [await subscription.get() for _ in range(count)]


async def wait_followers(*brokers: NatsBroker) -> None:
    """Followers know where their streams end: their consumers start right after
    that sequence, so whatever is published from now on reaches them, whether or not
    the consumer is created yet."""
    await until(
        lambda: all(f.last is not None for b in brokers for f in b.followers.values()),
        10,
        "every follower read its stream's last sequence",
    )


async def test_every_replica_receives_every_event_in_order(nats_server: NatsServer) -> None:
    async with broker(nats_server.url) as one, broker(nats_server.url) as two:
        await wait_followers(one, two)
        async with (
            one.subscribe(RESOURCES_TOPIC) as first,
            two.subscribe(RESOURCES_TOPIC) as second,
        ):
            for n in range(50):
                await (one if n % 2 else two).publish(RESOURCES_TOPIC, resource_event(n))
            got_first = await take(first, 50)
            got_second = await take(second, 50)
        assert got_first == got_second
        assert sorted(e.uid for e in got_first) == sorted(f"u{n}" for n in range(50))  # type: ignore[attr-defined]
        # Each topic is its own stream; the other topics carry their own messages.
        async with two.subscribe(SYNC_TOPIC) as sync, two.subscribe(CONNECTIONS_TOPIC) as conns:
            await one.publish(SYNC_TOPIC, SyncStatusEvent("c1", "SYNCED", 1))
            await one.publish(
                CONNECTIONS_TOPIC, ConnectionEvent("CREATED", "x", "kubernetes", "DISCOVERED", "s")
            )
            assert await take(sync, 1) == [SyncStatusEvent("c1", "SYNCED", 1)]
            assert isinstance((await take(conns, 1))[0], ConnectionEvent)


async def test_publishes_while_nats_is_down_are_kept_and_delivered_once(
    nats_server: NatsServer,
) -> None:
    async with broker(nats_server.url) as publisher, broker(nats_server.url) as replica:
        await wait_followers(publisher, replica)
        async with replica.subscribe(LOG_TOPIC) as entries:
            await publisher.publish(LOG_TOPIC, log_entry(0))
            assert [e.id for e in await take(entries, 1)] == [0]  # type: ignore[attr-defined]
            await nats_server.stop_async()
            for n in range(1, 31):
                await publisher.publish(LOG_TOPIC, log_entry(n))
            assert publisher.outbox.pending >= 30  # (the first one may wait for its ack)
            await until(lambda: publisher.outbox.failures >= 1, 10, "the outbox meets the outage")
            await nats_server.start_async()
            got = await take(entries, 30, wait=20)
            assert [e.id for e in got] == list(range(1, 31))  # type: ignore[attr-defined]
            await until(lambda: publisher.outbox.pending == 0, 10, "every publish is acked")
            # A duplicate would be delivered right behind the originals: one more entry,
            # published last, must be the very next thing received.
            await publisher.publish(LOG_TOPIC, log_entry(31))
            assert [e.id for e in await take(entries, 1)] == [31]  # type: ignore[attr-defined]
            assert entries.backlog == 0  # nothing twice
            await until(lambda: publisher.outbox.pending == 0, 10, "the last publish is acked")
        assert publisher.outbox.pending == 0
        assert publisher.outbox.failures >= 1
        assert replica.followers[LOG_TOPIC].lost == 0


def log_entry(n: int) -> LogEntry:
    return LogEntry(n, T0, "info", "test", "test", "cluster", "c", "c", f"entry {n}", "s", {})


async def test_a_full_outbox_makes_publishers_wait(nats_server: NatsServer) -> None:
    limit = 4000
    options = NatsOptions(prefix="t", heartbeat=0.2, connect_wait=5, outbox_bytes=limit)
    async with broker(nats_server.url, options) as publisher, broker(nats_server.url) as replica:
        await wait_followers(replica)
        async with replica.subscribe(LOG_TOPIC) as entries:
            await nats_server.stop_async()
            size = len(frame(encode(log_entry(0))))
            fitting = limit // size
            for n in range(fitting):
                await publisher.publish(LOG_TOPIC, log_entry(n))
            blocked = asyncio.ensure_future(publisher.publish(LOG_TOPIC, log_entry(fitting)))
            await until(lambda: publisher.outbox.failures >= 1, 10, "the outbox meets the outage")
            assert not blocked.done()  # still waiting for room, with the outbox full
            assert publisher.outbox.pending_bytes <= limit
            await nats_server.start_async()
            async with asyncio.timeout(20):
                await blocked
            got = await take(entries, fitting + 1, wait=20)
            assert [e.id for e in got] == list(range(fitting + 1))  # type: ignore[attr-defined]


async def test_a_follower_that_cannot_resume_tells_its_subscribers(
    nats_server: NatsServer,
) -> None:
    async with broker(nats_server.url) as replica:
        await wait_followers(replica)
        async with replica.subscribe(RESOURCES_TOPIC) as events:
            await replica.publish(RESOURCES_TOPIC, resource_event(1))
            await take(events, 1)
            # The server comes back without its storage: the stream is a new one.
            await nats_server.stop_async()
            nats_server.wipe()
            await nats_server.start_async()
            (marker,) = await take(events, 1, wait=20)
            assert isinstance(marker, Missed)
            assert marker.topic == RESOURCES_TOPIC
            # Publishing declares the stream again; following goes on.
            await replica.publish(RESOURCES_TOPIC, resource_event(2))
            (event,) = await take(events, 1, wait=20)
            assert isinstance(event, ResourceEvent)
            assert event.uid == "u2"


async def test_commands_reach_this_process_at_once_and_the_others_once(
    nats_server: NatsServer,
) -> None:
    async with (
        broker(nats_server.url) as one,
        broker(nats_server.url) as two,
        one.subscribe(COMMANDS_TOPIC) as mine,
        two.subscribe(COMMANDS_TOPIC) as theirs,
    ):
        command = ClusterCommand("resync", "c1")
        await one.publish(COMMANDS_TOPIC, command)
        assert await take(mine, 1) == [command]
        assert await take(theirs, 1) == [command]
        # A second delivery would come before a later command: the next one is the later.
        later = ClusterCommand("resync", "c2")
        await one.publish(COMMANDS_TOPIC, later)
        assert await take(mine, 1) == [later]
        assert await take(theirs, 1) == [later]
        assert mine.backlog == 0
        assert theirs.backlog == 0


async def test_a_former_writers_late_events_make_subscribers_refetch(
    nats_server: NatsServer,
) -> None:
    async with broker(nats_server.url) as old, broker(nats_server.url) as new:
        await wait_followers(old, new)
        async with new.subscribe(RESOURCES_TOPIC) as events, new.subscribe(LOG_TOPIC) as entries:
            old.fence, new.fence = 5, 6

            async def stored(publisher: NatsBroker, topic: str, message: object) -> None:
                await publisher.publish(topic, message)
                await publisher.outbox.flushed()

            await stored(old, RESOURCES_TOPIC, resource_event(1))  # before the successor
            await stored(new, RESOURCES_TOPIC, resource_event(2))
            await stored(old, RESOURCES_TOPIC, resource_event(3))  # late: dropped
            await stored(old, LOG_TOPIC, log_entry(1))  # not a writer's event: kept
            await stored(new, RESOURCES_TOPIC, resource_event(4))
            got = await take(events, 4)
            assert [e.uid for e in got[:2]] == ["u1", "u2"]  # type: ignore[attr-defined]
            # The late change is committed: subscribers are told to refetch, not left stale.
            assert isinstance(got[2], Missed)
            assert got[3].uid == "u4"  # type: ignore[attr-defined]
            assert [e.id for e in await take(entries, 1)] == [1]  # type: ignore[attr-defined]
        assert new.followers[RESOURCES_TOPIC].stale == 1


async def test_an_unreachable_nats_is_one_clear_error_after_the_wait() -> None:
    """What ``serve`` and ``agent`` meet when NATS is not there at start: they retry
    for the wait (30 s by default), then stop with ``BrokerUnavailable`` (exit 2)
    instead of trying forever."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # bound, never listening: connections are refused
        client = NatsClient(f"nats://user:pw@127.0.0.1:{closed}", name="test")
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable) as refused:
            await asyncio.wait_for(client.connect(wait=1.5), 30)
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 10, f"it tried for the wait, then gave up ({elapsed:.1f} s)"
    assert "cannot connect to NATS at" in refused.value.message
    assert "pw" not in refused.value.message, "credentials in the URL are never shown"
    assert not client.connected
