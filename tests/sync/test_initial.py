"""Initial sync: the store ends exactly equal to the simulated cluster."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from graphql_server.simulator import SimulatedCluster
from graphql_server.store import Store
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.service import SyncService, sync_options
from tests.helpers import until
from tests.sync.harness import FAST_WATCH, converge, simulator_inventory, synced_cluster


async def test_initial_sync_is_exact(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path, objects=400) as synced:
        inventory = await converge(synced.store, synced.cluster)
    assert len(inventory) > 300


async def test_a_type_is_synced_only_once_its_list_is_stored(
    database_url: str, tmp_path: Path
) -> None:
    """SYNCED means stored: when a type is reported SYNCED, every object of its list is
    already counted by the writer's commits, none is still waiting in its queue."""
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(3000)
    expected = Counter(type_name for type_name, _ in simulator_inventory(cluster))
    counted_when_synced: dict[str, int] = {}
    store = await Store.open(database_url)
    try:
        async with cluster.serving() as running:
            source = ClusterSource("sim", running.write_kubeconfig(tmp_path / "kubeconfig"))
            service = SyncService(
                store, InProcessBroker(), sync_options(Settings(), FAST_WATCH), [source]
            )
            tracker, report = service.tracker, service.tracker.report

            def recording(
                cluster_id: str, type_name: str, phase: str, error: str | None = None
            ) -> None:
                kind = tracker.cluster(cluster_id).kinds.get(type_name)
                if phase == "SYNCED" and kind is not None:
                    counted_when_synced.setdefault(type_name, kind.count)
                report(cluster_id, type_name, phase, error)

            tracker.report = recording  # type: ignore[method-assign]
            async with service:
                await converge(store, cluster)
                await until(
                    lambda: set(expected) <= set(counted_when_synced), 20, "every type SYNCED"
                )
    finally:
        await store.close()
    assert expected["pods"] > 500
    short = {
        name: (counted_when_synced.get(name), n)
        for name, n in expected.items()
        if counted_when_synced.get(name) != n
    }
    assert not short, f"types reported SYNCED before their rows were stored: {short}"
