"""The watch loops against a simulated cluster: each semantic, checked by comparing the
store with the simulator object by object."""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from graphql_server.broker import InProcessBroker
from graphql_server.events import RESOURCES_TOPIC, ResourceEvent
from graphql_server.simulator import SimulatedCluster, widget_crd
from graphql_server.store import Store
from tests.helpers import until
from tests.sync.harness import converge, store_inventory, sync_service, synced_cluster


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"test": "yes"}},
        "data": data,
    }


@asynccontextmanager
async def recording(broker: InProcessBroker) -> AsyncIterator[list[ResourceEvent]]:
    events: list[ResourceEvent] = []
    subscription = broker.subscribe(RESOURCES_TOPIC, maxsize=1_000_000)

    async def drain() -> None:
        async for message in subscription:
            if isinstance(message, ResourceEvent):
                events.append(message)

    task = asyncio.create_task(drain(), name="test-recorder")
    try:
        yield events
    finally:
        subscription.close()
        await task


def duplicates(events: list[ResourceEvent]) -> list[tuple[str, str, str]]:
    keys = Counter((e.type.value, e.uid, e.resource["resource_version"]) for e in events)
    return [k for k, n in keys.items() if n > 1]


async def test_live_churn_converges(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path) as synced:
        await converge(synced.store, synced.cluster)
        async with recording(synced.broker) as events:
            churn = await synced.cluster.start_churn(200, seed=3)
            await asyncio.sleep(1.5)  # time passes on purpose: 1.5 s of churn to follow
            await synced.cluster.stop_churn()
            await converge(synced.store, synced.cluster)
            await synced.service.writer.idle()
        assert churn.applied > 100
        assert events, "churn produced no events"
        assert duplicates(events) == []


async def test_resume_after_dropped_connections_and_timeouts_without_replay(
    database_url: str, tmp_path: Path
) -> None:
    async with synced_cluster(database_url, tmp_path, watch_timeout=1.0) as synced:
        await converge(synced.store, synced.cluster)
        reflector, _ = synced.service.supervisor.clusters[synced.cluster_id].reflectors[
            "configmaps"
        ]

        def watching() -> bool:
            return any(w.key.endswith("configmaps") for w in synced.cluster.hub.all())

        async with recording(synced.broker) as events:
            for round_ in range(4):
                await until(watching, 20, "the configmaps watch is open")
                restarts = sum(reflector.restarts.values())
                synced.cluster.create_object(configmap(f"resume-{round_}"))
                synced.cluster.drop_watches()
                await until(
                    lambda: sum(reflector.restarts.values()) > restarts,  # noqa: B023
                    20,
                    "the reflector saw the dropped connection",
                )
            await asyncio.sleep(1.5)  # lets server-side watch timeouts end streams too
            synced.cluster.create_object(configmap("after-timeouts"))
            await converge(synced.store, synced.cluster)
            await synced.service.writer.idle()
        added = [e for e in events if e.resource["name"].startswith(("resume-", "after-"))]
        assert sorted(e.resource["name"] for e in added) == [
            "after-timeouts",
            "resume-0",
            "resume-1",
            "resume-2",
            "resume-3",
        ]
        assert duplicates(events) == []
        assert reflector.relists == 1, "a dropped connection must resume, not relist"
        assert sum(reflector.restarts.values()) >= 4


async def test_410_relists_and_sweeps(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path) as synced:
        cluster = synced.cluster
        gone = cluster.create_object(configmap("deleted-while-expired"))
        await converge(synced.store, cluster)
        reflector, _ = synced.service.supervisor.clusters[synced.cluster_id].reflectors[
            "configmaps"
        ]
        # No watch of config maps can run: the deletion is never seen as an event, and
        # compacting the history makes the resumed watch answer 410.
        cluster.inject_error("configmaps", 503)
        cluster.drop_watches()
        cluster.delete_object("v1", "ConfigMap", "deleted-while-expired", "default")
        cluster.compact_history()
        cluster.clear_errors()
        inventory = await converge(synced.store, cluster)
        assert ("configmaps", gone["metadata"]["uid"]) not in inventory, "the relist swept it"
        assert reflector.relist_reasons["expired"] >= 1
        assert reflector.restarts["expired"] >= 1


async def test_changes_while_away_are_swept_and_added(database_url: str, tmp_path: Path) -> None:
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(300)
    store = await Store.open(database_url)
    broker = InProcessBroker()
    try:
        async with cluster.serving() as running:
            kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
            async with sync_service(store, broker, kubeconfig):
                await converge(store, cluster)
            # Away: pods and config maps go and come, history is compacted.
            pods = [e.obj for e in cluster.stores["pods"].iter_entries()][:10]
            for pod in pods:
                cluster.delete_object(
                    "v1", "Pod", pod["metadata"]["name"], pod["metadata"]["namespace"]
                )
            cluster.create_object(configmap("while-away"))
            cluster.compact_history()
            before = await store_inventory(store, cluster.uid)
            assert any(k[0] == "pods" and k[1] == pods[0]["metadata"]["uid"] for k in before)
            async with sync_service(store, broker, kubeconfig):
                after = await converge(store, cluster)
            assert not any(k[1] == pods[0]["metadata"]["uid"] for k in after)
    finally:
        await store.close()


async def test_restart_resumes_from_stored_versions(database_url: str, tmp_path: Path) -> None:
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(200)
    store = await Store.open(database_url)
    broker = InProcessBroker()
    try:
        async with cluster.serving() as running:
            kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
            async with sync_service(store, broker, kubeconfig):
                await converge(store, cluster)
            cluster.create_object(configmap("during-restart"))
            cluster.delete_object("v1", "ConfigMap", "during-restart", "default")
            cluster.create_object(configmap("kept"))
            # A new process on the same database: resumes, replays history, no relist.
            await store.close()
            store = await Store.open(database_url)
            async with sync_service(store, broker, kubeconfig) as service:
                await converge(store, cluster)
                reflector, _ = service.supervisor.clusters[cluster.uid].reflectors["configmaps"]
                assert reflector.relists == 0
    finally:
        await store.close()


async def test_stalled_watch_is_detected_and_restarted(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path) as synced:
        await converge(synced.store, synced.cluster)
        reflector, _ = synced.service.supervisor.clusters[synced.cluster_id].reflectors[
            "configmaps"
        ]
        restarts = reflector.restarts["stalled"]
        synced.cluster.stall_watches()
        synced.cluster.create_object(configmap("during-stall"))
        await until(
            lambda: reflector.restarts["stalled"] > restarts,
            10,
            "the stalled stream is abandoned after the idle timeout",
        )
        synced.cluster.unstall_watches()
        await converge(synced.store, synced.cluster)


async def test_uid_reuse_is_delete_plus_add(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path) as synced:
        first = synced.cluster.create_object(configmap("reused"))
        await converge(synced.store, synced.cluster)
        synced.cluster.delete_object("v1", "ConfigMap", "reused", "default")
        second = synced.cluster.create_object(configmap("reused", value="2"))
        inventory = await converge(synced.store, synced.cluster)
        uids = {k[1] for k in inventory if k[0] == "configmaps"}
        assert second["metadata"]["uid"] in uids
        assert first["metadata"]["uid"] not in uids


async def test_crd_added_then_removed(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path) as synced:
        await converge(synced.store, synced.cluster)
        crd = copy.deepcopy(widget_crd())
        crd["metadata"]["name"] = "gadgets.toys.example.org"
        crd["spec"]["group"] = "toys.example.org"
        crd["spec"]["names"] = {"kind": "Gadget", "plural": "gadgets", "singular": "gadget"}
        synced.cluster.create_object(crd)
        synced.cluster.create_object(
            {
                "apiVersion": "toys.example.org/v1",
                "kind": "Gadget",
                "metadata": {"name": "g1", "namespace": "default"},
                "spec": {"size": 3},
            }
        )
        inventory = await converge(synced.store, synced.cluster)
        assert any(k[0] == "gadgets.toys.example.org" for k in inventory)
        synced.cluster.delete_object(
            "apiextensions.k8s.io/v1", "CustomResourceDefinition", crd["metadata"]["name"]
        )
        inventory = await converge(synced.store, synced.cluster)
        assert not any(k[0] == "gadgets.toys.example.org" for k in inventory)
        sync = synced.service.supervisor.clusters[synced.cluster_id]
        deadline = time.monotonic() + 10
        while True:
            # Retiring a type stops its watch, sweeps its rows, then drops its status.
            await synced.service.tracker.flush()
            kinds = {k.resource_type for k in await synced.store.clusters.kinds(synced.cluster_id)}
            if "gadgets.toys.example.org" not in kinds or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert "gadgets.toys.example.org" not in sync.reflectors
        assert "gadgets.toys.example.org" not in kinds
        assert "pods" in kinds


async def test_a_forbidden_type_does_not_stop_the_others(database_url: str, tmp_path: Path) -> None:
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(200)
    cluster.forbid("secrets")
    store = await Store.open(database_url)
    broker = InProcessBroker()
    try:
        async with cluster.serving() as running:
            kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
            async with sync_service(store, broker, kubeconfig) as service:
                for _ in range(100):
                    await asyncio.sleep(0.1)
                    kinds = {k.resource_type: k for k in await store.clusters.kinds(cluster.uid)}
                    if (
                        kinds.get("secrets")
                        and kinds["secrets"].phase == "DEGRADED"
                        and kinds["pods"].phase == "SYNCED"
                    ):
                        break
                assert kinds["secrets"].phase == "DEGRADED"
                assert "forbidden" in (kinds["secrets"].last_error or "").lower()
                assert kinds["pods"].phase == "SYNCED"
                stored = await store_inventory(store, cluster.uid)
                assert any(k[0] == "pods" for k in stored)
                assert not any(k[0] == "secrets" for k in stored)
                cluster.allow("secrets")
                await converge(store, cluster)
                # The rows land before the list's sweep settles, and the type is SYNCED
                # once it has: the tracker follows within moments, not at once.
                kinds_now = service.tracker.clusters[cluster.uid].kinds
                await until(
                    lambda: kinds_now["secrets"].phase == "SYNCED", 10, "secrets SYNCED again"
                )
    finally:
        await store.close()
