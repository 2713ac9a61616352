"""An API server whose resourceVersions go backwards, and ``resyncCluster`` as the cure.

The simulated API server is replaced by one restored "from a backup": same cluster
(same kube-system uid), older state, lower versions, some objects different. The
sync must notice (the watch asks for a version the server has not reached: "too
large resource version"), say so (DEGRADED, one event), and relist every type so
that the store equals the restored cluster, rows with "newer" versions and
tombstones included. ``resync`` must repair a store damaged in any way.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from graphql_server.simulator import SimulatedCluster
from graphql_server.store import Store
from graphql_server.store.resources import ResourceQuery
from tests.conftest import free_port
from tests.faults.harness import served_sync
from tests.helpers import until
from tests.sync.harness import converge, store_inventory, synced_cluster


def restored(objects: int) -> SimulatedCluster:
    """A cluster as seeded, before any of the later changes (its "backup")."""
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(objects)
    return cluster


async def test_a_cluster_restored_from_a_backup_is_detected_and_relisted(
    tmp_path: Path,
) -> None:
    live = restored(150)
    port = free_port()
    url = f"sqlite://{tmp_path / 'inventory.sqlite3'}"
    api: AbstractAsyncContextManager[Any] | None = live.serving(port=port)
    running = await api.__aenter__()
    try:
        kubeconfig = running.write_kubeconfig(tmp_path / "kc")
        async with served_sync(url, tmp_path, live, kubeconfig) as synced:
            await live.churn_burst(400, seed=1)  # versions move far past the backup's
            await converge(synced.store, live)
            await until(lambda: synced.phase() == "SYNCED", 10, "the cluster is SYNCED")
            await api.__aexit__(None, None, None)
            api = None
            backup = restored(150)
            await backup.churn_burst(60, seed=2)  # a different, shorter history
            assert backup.uid == live.uid
            assert backup.rv < live.rv
            synced.cluster = backup
            api = backup.serving(port=port)
            await api.__aenter__()

            await converge(synced.store, backup, within=30)
            await until(lambda: synced.phase() == "SYNCED", 20, "the cluster is SYNCED again")
            watches = synced.service.stats().watches
            assert any(w.relists.get("regression") for w in watches), watches

            async def two_events() -> bool:
                return len(await synced.sync_events()) >= 2

            await until(two_events, 10, "the regression and its repair are in the event log")
            events = await synced.sync_events()
            assert len(events) == 2, events
            assert "resourceVersions went backwards" in events[0], events
            assert "recovered" in events[1], events
            # Changes after the repair land too: nothing older blocks them any more.
            await backup.churn_burst(50, seed=3)
            await converge(synced.store, backup, within=30)
    finally:
        if api is not None:
            await api.__aexit__(None, None, None)


async def damage(store: Store, cluster_id: str, uids: list[str]) -> None:
    """Rows far in the future, rows missing behind tombstones, rows that never existed."""
    connection = store.database.connection()
    mark = (lambda n: "?") if store.database.dialect == "sqlite" else (lambda n: f"${n}")
    future, missing = uids[:20], uids[20:40]
    for uid in future:
        await connection.execute_query(
            f"UPDATE resources SET resource_version = '999999999', name = 'wrong' "
            f"WHERE cluster_id = {mark(1)} AND uid = {mark(2)}",
            [cluster_id, uid],
        )
    for uid in missing:
        await connection.execute_query(
            f"DELETE FROM resources WHERE cluster_id = {mark(1)} AND uid = {mark(2)}",
            [cluster_id, uid],
        )
        await connection.execute_query(
            "INSERT INTO resource_tombstones (cluster_id, uid, resource_version, deleted_at) "
            f"VALUES ({mark(1)}, {mark(2)}, '999999999', 0)",
            [cluster_id, uid],
        )
    await connection.execute_query(
        'INSERT INTO resources (cluster_id, uid, resource_type, api_version, "group", kind, '
        "namespace, name, resource_version, labels, annotations, owner_references, "
        f"spec, status, extra, created_at, updated_at) SELECT cluster_id, 'ghost-' || uid, "
        "resource_type, api_version, \"group\", kind, namespace, name, '999999999', labels, "
        "annotations, owner_references, spec, status, extra, created_at, updated_at "
        f"FROM resources WHERE cluster_id = {mark(1)} AND resource_type = 'configmaps'",
        [cluster_id],
    )


async def test_resync_brings_any_store_back_to_the_cluster(
    database_url: str, tmp_path: Path
) -> None:
    async with synced_cluster(database_url, tmp_path, objects=150) as synced:
        store, cluster = synced.store, synced.cluster
        await converge(store, cluster)
        await synced.service.writer.idle()
        stored = await store_inventory(store, synced.cluster_id)
        await damage(store, synced.cluster_id, sorted(uid for _, uid in stored))
        assert await store_inventory(store, synced.cluster_id) != stored
        await synced.service.supervisor.resync(synced.cluster_id)
        await converge(store, cluster, within=30)
        rows = await store.resources.select(
            ResourceQuery(cluster_ids=(synced.cluster_id,)), limit=10_000
        )
        assert "wrong" not in {row["name"] for row in rows}
