"""The sync as part of the server: live subscriptions, resync on demand, type filters."""

from __future__ import annotations

import asyncio
from pathlib import Path

from graphql_server.components import sync_component
from graphql_server.settings import Settings
from graphql_server.simulator import SimulatedCluster
from tests.api.inventory.seed import wait_for_feeds
from tests.conftest import free_port, serving
from tests.helpers import data, ws_client
from tests.sync.harness import converge, store_inventory, synced_cluster

SUBSCRIPTION = """
subscription ($filter: ResourceFilter) {
  resourceEvents(filter: $filter) { type resource { name namespace kind labels } }
}
"""


async def test_filtered_subscription_while_the_cluster_churns(
    database_url: str, tmp_path: Path
) -> None:
    cluster = SimulatedCluster("sim", seed=3, bookmark_interval=0.3)
    cluster.seed_objects(300)
    async with cluster.serving() as running:
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
        settings = Settings(
            database_url=database_url, data_dir=tmp_path, port=free_port(), kubeconfig=kubeconfig
        )
        async with serving(settings, components=(sync_component(settings),)) as server:
            await converge(server.services.store, cluster)
            async with ws_client(server.ws_url) as client:
                op = await client.subscribe(SUBSCRIPTION, {"filter": {"kinds": ["Pod"]}})
                await wait_for_feeds(server)
                await cluster.start_churn(100, seed=5)
                received = [
                    (await client.next_data(op, wait=15))["data"]["resourceEvents"]
                    for _ in range(10)
                ]
                await cluster.stop_churn()
    assert {e["resource"]["kind"] for e in received} == {"Pod"}
    assert {e["type"] for e in received} <= {"ADDED", "MODIFIED", "DELETED"}


async def test_resync_on_demand_restores_what_drifted(database_url: str, tmp_path: Path) -> None:
    cluster = SimulatedCluster("sim", seed=3, bookmark_interval=0.3)
    cluster.seed_objects(200)
    async with cluster.serving() as running:
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
        settings = Settings(
            database_url=database_url, data_dir=tmp_path, port=free_port(), kubeconfig=kubeconfig
        )
        async with serving(settings, components=(sync_component(settings),)) as server:
            store = server.services.store
            await converge(store, cluster)
            victims = [k for k in await store_inventory(store, cluster.uid) if k[0] == "pods"][:5]
            await store.resources.apply([], [(cluster.uid, uid) for _, uid in victims])
            result = await data(
                server.graphql,
                "mutation ($id: ID!) { resyncCluster(clusterId: $id) }",
                {"id": cluster.uid},
            )
            assert result == {"resyncCluster": True}
            inventory = await converge(store, cluster)
    assert all(v in inventory for v in victims)


async def test_include_and_exclude_filters(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        include_resources=("pods", "configmaps", "deployments.apps"),
        exclude_resources=("configmaps",),
    )
    async with synced_cluster(database_url, tmp_path, objects=200, settings=settings) as synced:
        sync = synced.service.supervisor.clusters
        for _ in range(100):
            if synced.cluster_id in sync and sync[synced.cluster_id].reflectors:
                break
            await asyncio.sleep(0.05)
        watched = set(sync[synced.cluster_id].reflectors)
        assert watched == {
            "pods",
            "deployments.apps",
            "customresourcedefinitions.apiextensions.k8s.io",
        }
