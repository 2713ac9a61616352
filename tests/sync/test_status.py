"""The sync status a cluster shows: counts are saved at most once an interval, a
cluster's phase as soon as it moves."""

from __future__ import annotations

import asyncio

from graphql_server.broker import InProcessBroker
from graphql_server.kube.resource_types import ResourceType
from graphql_server.store import Store
from graphql_server.sync.status import SyncTracker
from tests.helpers import until

CLUSTER = "6a1e6c1e-4a0b-5d5e-9a43-0c7a3d1f2b11"
PODS = ResourceType("", "v1", "Pod", "pods", True)
INTERVAL = 30.0  # far longer than the test: only a phase move saves before it ends


async def saved_phase(store: Store) -> str | None:
    record = await store.clusters.get(CLUSTER)
    return None if record is None else record.phase


async def saved_count(store: Store) -> int:
    return sum(kind.resource_count for kind in await store.clusters.kinds(CLUSTER))


async def test_a_cluster_becoming_synced_is_saved_at_once_and_counts_wait(store: Store) -> None:
    await store.clusters.upsert(CLUSTER, "demo", "https://demo.example", "v1.30.0")
    tracker = SyncTracker(store, InProcessBroker(), interval=INTERVAL)
    running = asyncio.create_task(tracker.run(), name="test-status")
    try:
        tracker.track(CLUSTER, PODS, 0)
        tracker.report(CLUSTER, PODS.name, "SYNCING")

        async def syncing() -> bool:
            return await saved_phase(store) == "SYNCING"

        await until(syncing, 10, "the first change saved at once")

        tracker.track(CLUSTER, PODS, 5)  # counts alone wait for the interval ...
        tracker.report(CLUSTER, PODS.name, "SYNCED")  # ... the phase moving does not

        async def synced() -> bool:
            return await saved_phase(store) == "SYNCED"

        await until(synced, 5, "the phase saved before the interval")
        assert await saved_count(store) == 5  # saved with the phase, one instant's state

        tracker.track(CLUSTER, PODS, 6)
        await asyncio.sleep(0.5)
        assert await saved_count(store) == 5, "a count alone was saved before the interval"
        assert await saved_phase(store) == "SYNCED"
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
