"""A row the database refuses for its content: isolated, reported, retried by a relist.

A trigger makes the real database refuse every object named ``refused-*`` (SQLite:
``RAISE(ABORT)``, PostgreSQL: a check violation). The rest of the batch lands, the
type is DEGRADED with the error and counted in the metrics, its resume version does
not move past the refused change, and once the database accepts the row again the
relist brings it in and the type is SYNCED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql_server.store import Store
from graphql_server.sync.writer import Sweep
from tests.helpers import until
from tests.sync.harness import converge, store_inventory, synced_cluster

SQLITE_REFUSE = (
    "CREATE TRIGGER refuse_rows BEFORE INSERT ON resources WHEN NEW.name LIKE 'refused-%' "
    "BEGIN SELECT RAISE(ABORT, 'this row is refused'); END"
)
POSTGRES_REFUSE = (
    "CREATE FUNCTION refuse_rows() RETURNS trigger AS $$ BEGIN "
    "IF NEW.name LIKE 'refused-%' THEN RAISE EXCEPTION 'this row is refused' "
    "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER refuse_rows BEFORE INSERT ON resources "
    "FOR EACH ROW EXECUTE FUNCTION refuse_rows()",
)


async def refuse(store: Store) -> None:
    connection = store.database.connection()
    if store.database.dialect == "sqlite":
        await connection.execute_script(SQLITE_REFUSE)
        return
    for statement in POSTGRES_REFUSE:
        await connection.execute_script(statement)


async def accept(store: Store) -> None:
    connection = store.database.connection()
    await connection.execute_script(
        "DROP TRIGGER refuse_rows ON resources"
        if store.database.dialect == "postgres"
        else "DROP TRIGGER refuse_rows"
    )


def config_map(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"k": "v"},
    }


async def test_a_refused_row_is_isolated_reported_and_relisted(
    database_url: str, tmp_path: Path
) -> None:
    async with synced_cluster(database_url, tmp_path, objects=150) as synced:
        store, cluster, service = synced.store, synced.cluster, synced.service
        await converge(store, cluster)
        await refuse(store)
        resume_before = (await store.clusters.resume_versions(synced.cluster_id))["configmaps"]
        for index in range(20):
            cluster.create_object(config_map(f"fine-{index}"))
        refused = cluster.create_object(config_map("refused-one"))
        for index in range(20, 40):
            cluster.create_object(config_map(f"fine-{index}"))
        uid = refused["metadata"]["uid"]

        def degraded() -> bool:
            state = service.tracker.clusters[synced.cluster_id]
            return state.kinds["configmaps"].status == "DEGRADED"

        await until(degraded, 20, "configmaps turn DEGRADED")
        kind = service.tracker.clusters[synced.cluster_id].kinds["configmaps"]
        assert "this row is refused" in (kind.error or "")
        assert service.writer.rejected_rows >= 1
        assert uid in service.writer.refused[(synced.cluster_id, "configmaps")]

        # Everything else landed; the refused object alone is missing.
        async def others_landed() -> bool:
            stored = await store_inventory(store, synced.cluster_id)
            names = {row["name"] for row in await _config_maps(store, synced.cluster_id)}
            return ("configmaps", uid) not in stored and {f"fine-{i}" for i in range(40)} <= names

        await until(others_landed, 20, "the rest of the batch lands")
        # The type does not resume past the refused change.
        resume_now = (await store.clusters.resume_versions(synced.cluster_id))["configmaps"]
        assert int(resume_now) < int(refused["metadata"]["resourceVersion"])
        assert int(resume_now) >= int(resume_before)
        assert service.stats().writer.rejected_rows >= 1

        await accept(store)
        await converge(store, cluster, within=30)  # the relist brought it in

        def synced_again() -> bool:
            state = service.tracker.clusters[synced.cluster_id]
            return state.kinds["configmaps"].status == "SYNCED" and state.phase == "SYNCED"

        await until(synced_again, 20, "configmaps are SYNCED again")
        assert (synced.cluster_id, "configmaps") not in service.writer.refused
        watches = {w.resource_type: w for w in service.stats().watches}
        assert watches["configmaps"].relists.get("refused", 0) >= 1


async def _config_maps(store: Store, cluster_id: str) -> list[dict[str, Any]]:
    from graphql_server.store.resources import ResourceQuery

    return await store.resources.select(
        ResourceQuery(cluster_ids=(cluster_id,), kinds=("ConfigMap",)), limit=10_000
    )


SQLITE_REFUSE_DELETES = (
    "CREATE TRIGGER refuse_deletes BEFORE DELETE ON resources "
    "BEGIN SELECT RAISE(ABORT, 'deletes are refused'); END"
)
POSTGRES_REFUSE_DELETES = (
    "CREATE FUNCTION refuse_deletes() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'deletes are refused' USING ERRCODE = 'check_violation'; END $$ "
    "LANGUAGE plpgsql",
    "CREATE TRIGGER refuse_deletes BEFORE DELETE ON resources "
    "FOR EACH ROW EXECUTE FUNCTION refuse_deletes()",
)


async def test_a_sweep_that_keeps_failing_gives_up_and_is_relisted(
    database_url: str, tmp_path: Path
) -> None:
    async with synced_cluster(database_url, tmp_path, objects=150) as synced:
        store, cluster, service = synced.store, synced.cluster, synced.service
        await converge(store, cluster)
        connection = store.database.connection()
        postgres = store.database.dialect == "postgres"
        for statement in POSTGRES_REFUSE_DELETES if postgres else (SQLITE_REFUSE_DELETES,):
            await connection.execute_script(statement)
        reflector, _ = service.supervisor.clusters[synced.cluster_id].reflectors["configmaps"]
        # A sweep that would remove every config map: the database refuses each attempt.
        await service.writer.put(Sweep(synced.cluster_id, reflector.type, set()))

        def degraded() -> bool:
            kind = service.tracker.clusters[synced.cluster_id].kinds["configmaps"]
            return kind.status == "DEGRADED" and "sweep failed" in (kind.error or "")

        await until(degraded, 20, "the sweep is given up and reported")
        assert service.writer.abandoned_sweeps == 1
        # The writer goes on with everything else.
        cluster.create_object(config_map("after-the-sweep"))
        await converge(store, cluster, within=20)  # nothing was swept by the failed sweep
        drop = "DROP TRIGGER refuse_deletes" + (" ON resources" if postgres else "")
        await connection.execute_script(drop)

        def synced_again() -> bool:
            kind = service.tracker.clusters[synced.cluster_id].kinds["configmaps"]
            return kind.status == "SYNCED"

        await until(synced_again, 30, "the relist sweeps for real and the type is SYNCED")
        await converge(store, cluster)
