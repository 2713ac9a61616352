"""Fingerprinting costs what the change touches: one Service changing is evaluated
alone, with the few rows of its namespace, never the whole cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql_server.lifecycle import ConnectionStatus
from graphql_server.store import Store
from graphql_server.store.connections import ConnectionQuery
from tests.connections.gql import eventually
from tests.sync.harness import synced_cluster


async def monitoring_connections(store: Store) -> dict[str, Any]:
    records = await store.connections.select(ConnectionQuery(kinds=("prometheus", "grafana")))
    return {record.name: record for record in records}


async def count_rows(store: Store, where: str, values: list[Any]) -> int:
    _, rows = await store.database.connection().execute_query(
        f"SELECT COUNT(*) AS n FROM resources WHERE {where}", values
    )
    return int(rows[0]["n"])


def placeholder(store: Store, index: int) -> str:
    return "?" if store.database.dialect == "sqlite" else f"${index}"


async def test_one_service_change_evaluates_only_that_service(
    database_url: str, tmp_path: Path
) -> None:
    async with synced_cluster(database_url, tmp_path, objects=600) as synced:
        store, cluster_id = synced.store, synced.cluster_id
        discovery = synced.service.connections.monitoring

        async def both_found() -> dict[str, Any]:
            # After SYNCED and its pass: the rounds counted below are the change's only.
            if not discovery.passed(cluster_id) or discovery.pending():
                return {}
            found = await monitoring_connections(store)
            return found if len(found) == 2 else {}

        await eventually(both_found, what="the first pass to find Prometheus and Grafana")
        rounds, rows_before = discovery.rounds, store.fingerprints.rows_read

        synced.cluster.create_object(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "metrics-mirror", "namespace": "monitoring"},
                "spec": {
                    "selector": {"app": "metrics-store"},
                    "ports": [{"name": "web", "port": 9090, "targetPort": 9090}],
                },
            }
        )

        async def mirror_found() -> Any:
            # Stored as soon as it is found; the evaluation that found it ends after.
            if discovery.pending():
                return None
            return (await monitoring_connections(store)).get("metrics-mirror.monitoring")

        mirror = await eventually(mirror_found, what="the new Service to be fingerprinted")
        assert mirror.kind == "prometheus"
        assert mirror.status is ConnectionStatus.DISCOVERED
        assert discovery.rounds == rounds + 1, "one evaluation, no full pass"
        assert discovery.last_evaluated == {(cluster_id, "monitoring", "metrics-mirror")}

        read = store.fingerprints.rows_read - rows_before
        first, second = placeholder(store, 1), placeholder(store, 2)
        in_namespace = await count_rows(
            store, f"cluster_id = {first} AND namespace = {second}", [cluster_id, "monitoring"]
        )
        in_cluster = await count_rows(store, f"cluster_id = {first}", [cluster_id])
        assert 0 < read <= in_namespace, f"read {read} rows; the namespace holds {in_namespace}"
        assert in_namespace * 10 < in_cluster  # the bound above means something
        # The others were left alone, and still stand.
        found = await monitoring_connections(store)
        assert found["metrics-store.monitoring"].status is ConnectionStatus.DISCOVERED
        assert found["dashboards.monitoring"].status is ConnectionStatus.DISCOVERED


async def test_a_deleted_service_alone_goes_not_found(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path, objects=300) as synced:
        store, cluster_id = synced.store, synced.cluster_id
        discovery = synced.service.connections.monitoring

        async def both_found() -> dict[str, Any]:
            # After SYNCED and its pass: the rounds counted below are the change's only.
            if not discovery.passed(cluster_id) or discovery.pending():
                return {}
            found = await monitoring_connections(store)
            return found if len(found) == 2 else {}

        await eventually(both_found, what="the first pass to find Prometheus and Grafana")
        synced.cluster.delete_object("v1", "Service", "dashboards", "monitoring")

        async def grafana_gone() -> bool:
            if discovery.pending():  # the evaluation that stores it is still going on
                return False
            found = await monitoring_connections(store)
            return found["dashboards.monitoring"].status is ConnectionStatus.NOT_FOUND

        await eventually(grafana_gone, what="the deleted Grafana Service to be NOT_FOUND")
        assert discovery.last_evaluated == {(cluster_id, "monitoring", "dashboards")}
        found = await monitoring_connections(store)
        assert found["metrics-store.monitoring"].status is ConnectionStatus.DISCOVERED
