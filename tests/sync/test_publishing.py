"""The writer publishes a large batch so that a subscriber that keeps up loses nothing:
a list page of thousands of rows never lands in a mailbox all at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from graphql_server.broker import InProcessBroker
from graphql_server.events import RESOURCES_TOPIC, Missed, ResourceEvent
from graphql_server.store import Store
from graphql_server.sync.writer import Upsert, Writer
from tests.faults.test_writer_queue import CONFIG_MAPS, config_map

ROWS = 2500
MAILBOX = 1000


async def test_a_batch_larger_than_a_mailbox_reaches_a_subscriber_whole(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite://{tmp_path / 'inventory.sqlite3'}")
    broker = InProcessBroker()
    writer = Writer(store, broker, batch_size=ROWS, max_queued_rows=ROWS)
    running = asyncio.create_task(writer.run(), name="test-writer")
    received: list[object] = []

    async def follow() -> None:
        async with broker.subscribe(RESOURCES_TOPIC, MAILBOX) as changes:
            async for message in changes:
                received.append(message)
                if len(received) == ROWS or isinstance(message, Missed):
                    return

    follower = asyncio.create_task(follow(), name="test-follower")
    try:
        await asyncio.sleep(0)  # subscribed
        await writer.put(Upsert(CONFIG_MAPS, [config_map(i) for i in range(ROWS)]))
        await asyncio.wait_for(follower, 60)
        assert not [m for m in received if isinstance(m, Missed)]
        assert [m.uid for m in received if isinstance(m, ResourceEvent)] == [
            f"uid-{i}" for i in range(ROWS)
        ]
        assert broker.overflows.messages[RESOURCES_TOPIC] == 0
    finally:
        follower.cancel()
        running.cancel()
        await asyncio.gather(follower, running, return_exceptions=True)
        await store.close()
