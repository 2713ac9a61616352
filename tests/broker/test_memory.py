"""The in-process broker: fan-out, bounded mailboxes, missed-event markers."""

from __future__ import annotations

import logging

import pytest

from graphql_server.broker import InProcessBroker
from graphql_server.events import Missed


async def test_every_subscriber_receives_in_order() -> None:
    broker = InProcessBroker()
    async with broker.subscribe("t") as first, broker.subscribe("t") as second:
        for i in range(3):
            await broker.publish("t", i)
        await broker.publish("other", "x")
        assert [await first.get() for _ in range(3)] == [0, 1, 2]
        assert [await second.get() for _ in range(3)] == [0, 1, 2]
        assert first.backlog == 0
    assert broker.subscriber_count() == 0


async def test_slow_subscriber_gets_a_missed_marker_and_bounded_memory() -> None:
    broker = InProcessBroker()
    async with broker.subscribe("t", maxsize=10) as slow, broker.subscribe("t") as fast:
        for i in range(25):
            await broker.publish("t", i)
            assert slow.backlog <= 10
        assert fast.backlog == 25
        marker = await slow.get()
        assert isinstance(marker, Missed)
        assert marker.dropped == 22
        assert [await slow.get() for _ in range(3)] == [22, 23, 24]
        await broker.publish("t", 25)
        assert await slow.get() == 25


async def test_stop_ends_subscriptions() -> None:
    broker = InProcessBroker()
    subscription = broker.subscribe("t")
    await broker.stop()
    assert [m async for m in subscription] == []


async def test_overflows_are_counted_per_broker() -> None:
    slow, other = InProcessBroker(), InProcessBroker()
    async with slow.subscribe("topic", maxsize=2) as mailbox, other.subscribe("topic"):
        for i in range(5):
            await slow.publish("topic", i)
            await other.publish("topic", i)
        assert mailbox.total_dropped == 3
    assert (slow.overflows.subscribers["topic"], slow.overflows.messages["topic"]) == (1, 3)
    assert other.overflows.subscribers["topic"] == 0
    assert other.overflows.messages["topic"] == 0


async def test_an_overflow_is_logged_once_per_run_of_drops(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = InProcessBroker()
    with caplog.at_level(logging.WARNING, logger="graphql_server.broker.base"):
        async with broker.subscribe("topic", maxsize=2) as mailbox:
            for i in range(6):
                await broker.publish("topic", i)
            assert len(caplog.records) == 1
            assert "mailbox on topic overflowed at 2 messages" in caplog.records[0].getMessage()
            assert isinstance(await mailbox.get(), Missed)
            for i in range(3):
                await broker.publish("topic", i)
    assert len(caplog.records) == 2  # a second run of drops after the marker was taken
