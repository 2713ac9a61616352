"""The writer's queue limit holds while the database cannot take writes: producers
wait (backpressure), nothing is dropped, and everything lands once it can."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from graphql_server.broker import InProcessBroker
from graphql_server.kube.discovery import ResourceType
from graphql_server.store import Store
from graphql_server.store.resources import ResourceRow
from graphql_server.sync.writer import Upsert, Writer
from tests.helpers import until

CONFIG_MAPS = ResourceType(
    group="", version="v1", kind="ConfigMap", plural="configmaps", namespaced=True
)


def config_map(index: int) -> ResourceRow:
    return ResourceRow(
        cluster_id="c1",
        uid=f"uid-{index}",
        resource_type="configmaps",
        api_version="v1",
        group="",
        kind="ConfigMap",
        namespace="default",
        name=f"cm-{index}",
        resource_version=str(index + 1),
        labels={},
        annotations={},
        owner_references=[],
        spec=None,
        status=None,
        extra=None,
        created_at=None,
        updated_at=datetime.now(UTC),
    )


async def test_the_queue_limit_holds_while_the_database_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    store = await Store.open(f"sqlite://{path}")
    writer = Writer(store, InProcessBroker(), max_queued_rows=10, batch_size=5)
    running = asyncio.create_task(writer.run(), name="test-writer")
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock

        async def produce() -> None:
            for index in range(40):
                await writer.put(Upsert(CONFIG_MAPS, [config_map(index)]))

        producer = asyncio.create_task(produce(), name="test-producer")
        await until(lambda: writer.queued_rows >= 10, 10, "the queue fills up")
        peak = 0
        for _ in range(20):  # the producer keeps trying while the lock is held
            peak = max(peak, writer.queued_rows)
            await asyncio.sleep(0.02)
        assert peak <= writer.max_queued_rows
        assert not producer.done(), "the producer waits instead of dropping"
        blocker.execute("ROLLBACK")
        await asyncio.wait_for(producer, 60)
        await asyncio.wait_for(writer.idle(), 60)
        stored = await store.resources.versions("c1", "configmaps")
        assert stored == {f"uid-{i}": str(i + 1) for i in range(40)}
        assert writer.rejected_rows == 0
    finally:
        blocker.close()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await store.close()
