"""A simulated cluster synced into a real store, and exact comparisons between them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from graphql_server.broker import InProcessBroker
from graphql_server.kube.discovery import DEFAULT_EXCLUDED
from graphql_server.kube.watching import WatchOptions
from graphql_server.settings import Settings
from graphql_server.simulator import RunningSimulator, SimulatedCluster
from graphql_server.store import Store
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.service import SyncService, sync_options

FAST_WATCH = WatchOptions(
    page_size=200, watch_timeout=30, idle_timeout=2.0, backoff_initial=0.05, backoff_max=0.5
)

Inventory = dict[tuple[str, str], str]


def _type_name(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


def simulator_inventory(cluster: SimulatedCluster) -> Inventory:
    """(type, uid) -> resourceVersion of every object the sync should hold."""
    found: Inventory = {}
    for store in cluster.stores.values():
        rtype = store.rtype
        name = _type_name(rtype.group, rtype.plural)
        if name in DEFAULT_EXCLUDED:
            continue
        for entry in store.iter_entries():
            found[(name, entry.obj["metadata"]["uid"])] = entry.obj["metadata"]["resourceVersion"]
    return found


async def store_inventory(store: Store, cluster_id: str) -> Inventory:
    connection = store.database.connection()
    _, rows = await connection.execute_query(
        "SELECT resource_type, uid, resource_version FROM resources WHERE cluster_id = "
        + ("?" if store.database.dialect == "sqlite" else "$1"),
        [cluster_id],
    )
    found: Inventory = {}
    for row in rows:
        key = (row["resource_type"], row["uid"])
        assert key not in found, f"duplicate row {key}"
        found[key] = row["resource_version"]
    return found


def describe_difference(expected: Inventory, actual: Inventory) -> str:
    missing = sorted(set(expected) - set(actual))
    stale = sorted(set(actual) - set(expected))
    outdated = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    return (
        f"{len(missing)} missing {missing[:5]}, {len(stale)} stale {stale[:5]}, "
        f"{len(outdated)} outdated {outdated[:5]}"
    )


async def converge(store: Store, cluster: SimulatedCluster, within: float = 30.0) -> Inventory:
    """Wait until the store holds exactly the simulator's objects; fail with the difference."""
    deadline = time.monotonic() + within
    while True:
        expected = simulator_inventory(cluster)
        actual = await store_inventory(store, cluster.uid)
        if expected == actual:
            return actual
        if time.monotonic() > deadline:
            raise AssertionError("store never converged: " + describe_difference(expected, actual))
        await asyncio.sleep(0.1)


@dataclass
class Synced:
    cluster: SimulatedCluster
    running: RunningSimulator
    store: Store
    broker: InProcessBroker
    service: SyncService
    kubeconfig: Path

    @property
    def cluster_id(self) -> str:
        return self.cluster.uid


@asynccontextmanager
async def sync_service(
    store: Store, broker: InProcessBroker, kubeconfig: Path, settings: Settings | None = None
) -> AsyncIterator[SyncService]:
    options = sync_options(settings or Settings(), FAST_WATCH)
    source = ClusterSource(name="sim", kubeconfig=kubeconfig)
    async with SyncService(store, broker, options, [source], status_interval=0.1) as service:
        yield service


@asynccontextmanager
async def synced_cluster(
    database_url: str,
    tmp_path: Path,
    objects: int = 300,
    settings: Settings | None = None,
    **cluster_options: object,
) -> AsyncIterator[Synced]:
    cluster = SimulatedCluster(
        "sim",
        seed=7,
        bookmark_interval=0.3,
        **cluster_options,  # type: ignore[arg-type]
    )
    cluster.seed_objects(objects)
    store = await Store.open(database_url)
    broker = InProcessBroker()
    try:
        async with cluster.serving() as running:
            kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
            async with sync_service(store, broker, kubeconfig, settings) as service:
                yield Synced(cluster, running, store, broker, service, kubeconfig)
    finally:
        await store.close()
