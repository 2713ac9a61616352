"""A synced cluster that stops answering (its API server down, the port closed).

Its sync turns DEGRADED with the error and one event; ``/readyz`` stays 200 (the
server still serves everything it holds) and names the cluster among
``degradedClusters``. When the API server is back, changes made meanwhile arrive,
the sync is SYNCED again with one more event, and the store equals the cluster.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from graphql_server.simulator import SimulatedCluster
from tests.conftest import free_port
from tests.faults.harness import served_sync
from tests.helpers import until
from tests.sync.harness import converge


async def test_an_unreachable_cluster_is_degraded_then_recovers(
    database_url: str, tmp_path: Path
) -> None:
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(150)
    port = free_port()
    api: AbstractAsyncContextManager[object] | None = cluster.serving(port=port)
    running = await api.__aenter__()
    try:
        kubeconfig = running.write_kubeconfig(tmp_path / "kc")
        async with served_sync(database_url, tmp_path, cluster, kubeconfig) as synced:
            await converge(synced.store, cluster)
            await until(lambda: synced.phase() == "SYNCED", 10, "the cluster is SYNCED")
            await api.__aexit__(None, None, None)  # the API server goes away, port closed
            api = None
            await until(lambda: synced.phase() == "DEGRADED", 20, "the cluster turns DEGRADED")
            state = synced.service.tracker.clusters[synced.cluster_id]
            assert state.reason, "DEGRADED names its error"
            status, body = await synced.readiness()
            assert status == 200, body
            assert body["degradedClusters"] == [synced.cluster_id]

            async def stored_error() -> bool:
                record = await synced.store.clusters.get(synced.cluster_id)
                kinds = await synced.store.clusters.kinds(synced.cluster_id)
                errors = [k.last_error for k in kinds if k.last_error]
                return record is not None and record.phase == "DEGRADED" and bool(errors)

            await until(stored_error, 10, "the stored status is DEGRADED with its errors")
            for index in range(5):  # changes made while nobody can see them
                cluster.create_object(
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": f"while-away-{index}", "namespace": "default"},
                    }
                )
            api = cluster.serving(port=port)  # back, on the same address
            await api.__aenter__()
            await converge(synced.store, cluster, within=30)
            await until(lambda: synced.phase() == "SYNCED", 20, "the cluster is SYNCED again")
            status, body = await synced.readiness()
            assert (status, body["degradedClusters"]) == (200, []), body

            async def two_events() -> bool:
                return len(await synced.sync_events()) >= 2

            await until(two_events, 10, "the event log has the outage and the recovery")
            events = await synced.sync_events()
            assert len(events) == 2, events
            assert "degraded" in events[0], events
            assert "recovered" in events[1], events
    finally:
        if api is not None:
            await api.__aexit__(None, None, None)
