"""Fault hooks, as methods and over the private ``/_sim`` HTTP routes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from kubernetes_asyncio import client, watch

from graphql_server.simulator import SimulatedCluster
from tests.helpers import until

from ..helpers import Sim, collect, status_of


async def test_injected_errors_for_n_requests(sim: Sim) -> None:
    sim.cluster.inject_error("pods", 500, count=2)
    for _ in range(2):
        with pytest.raises(client.ApiException) as failed:
            await sim.core.list_namespaced_pod("default")
        assert failed.value.status == 500
        assert status_of(failed.value)["reason"] == "InternalError"
    await sim.core.list_namespaced_pod("default")
    await sim.core.list_namespaced_config_map("default")


async def test_throttling_carries_retry_after(sim: Sim) -> None:
    sim.cluster.inject_error("deployments.apps", 429, retry_after=3)
    with pytest.raises(client.ApiException) as throttled:
        await client.AppsV1Api(sim.api).list_deployment_for_all_namespaces()
    assert throttled.value.status == 429
    assert throttled.value.headers["Retry-After"] == "3"
    assert status_of(throttled.value)["details"]["retryAfterSeconds"] == 3
    await sim.core.list_namespaced_pod("default")
    sim.cluster.clear_errors()
    await client.AppsV1Api(sim.api).list_deployment_for_all_namespaces()


async def test_forbidden_resource(sim: Sim) -> None:
    sim.cluster.forbid("secrets")
    with pytest.raises(client.ApiException) as denied:
        await sim.core.list_secret_for_all_namespaces()
    assert denied.value.status == 403
    body = status_of(denied.value)
    assert body["reason"] == "Forbidden"
    assert 'cannot list resource "secrets"' in body["message"]
    await sim.core.list_config_map_for_all_namespaces()
    sim.cluster.allow("secrets")
    await sim.core.list_secret_for_all_namespaces()


async def test_latency(sim: Sim) -> None:
    sim.cluster.set_latency(0.3, "configmaps")
    started = time.monotonic()
    await sim.core.list_namespaced_config_map("default")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await sim.core.list_namespaced_secret("default")
    assert time.monotonic() - started < 0.3


async def test_expire_watches_sends_410_and_resume_fails(sim: Sim) -> None:
    cluster = sim.cluster
    start = str(cluster.rv)

    async def expire_soon() -> None:
        await until(lambda: cluster.hub.count() == 1, 5, "the watch is open")
        assert cluster.expire_watches() == 1

    expiring = asyncio.create_task(expire_soon(), name="simulator-test-expire")
    with pytest.raises(client.ApiException) as expired:
        await collect(
            sim.core.list_namespaced_pod, "default", resource_version=start, timeout_seconds=10
        )
    await expiring
    assert expired.value.status == 410
    with pytest.raises(client.ApiException) as again:
        await collect(
            sim.core.list_namespaced_pod, "default", resource_version=start, timeout_seconds=1
        )
    assert again.value.status == 410


async def test_drop_watches_closes_streams_abruptly(sim: Sim) -> None:
    async def drop_soon() -> None:
        await until(lambda: sim.cluster.hub.count() == 1, 5, "the watch is open")
        assert sim.cluster.drop_watches() == 1

    dropping = asyncio.create_task(drop_soon(), name="simulator-test-drop")
    with pytest.raises(aiohttp.ClientPayloadError):
        await collect(
            sim.core.list_namespaced_pod,
            "default",
            resource_version=str(sim.cluster.rv),
            timeout_seconds=10,
        )
    await dropping
    assert sim.cluster.hub.count() == 0


async def test_stalled_watch_sends_nothing_until_unstalled(sim: Sim) -> None:
    cluster = sim.cluster
    cluster.stall_watches()
    received: list[str] = []

    async def consume() -> None:
        async with watch.Watch() as stream:
            async for event in stream.stream(
                sim.core.list_namespaced_config_map,
                "default",
                resource_version=str(cluster.rv),
                timeout_seconds=10,
            ):
                received.append(event["raw_object"]["metadata"]["name"])
                stream.stop()

    consumer = asyncio.create_task(consume(), name="simulator-test-consumer")
    await until(lambda: cluster.hub.count() == 1, 5, "the watch is open")
    await sim.core.create_namespaced_config_map("default", {"metadata": {"name": "stalled"}})
    await asyncio.sleep(0.5)  # time passes on purpose: nothing may arrive while stalled
    assert received == []
    assert not consumer.done()
    cluster.unstall_watches()
    await asyncio.wait_for(consumer, 5)
    assert received == ["stalled"]


async def test_stalled_watches_still_drop(sim: Sim) -> None:
    sim.cluster.stall_watches()

    async def drop_soon() -> None:
        await until(lambda: sim.cluster.hub.count() == 1, 5, "the watch is open")
        sim.cluster.drop_watches()

    dropping = asyncio.create_task(drop_soon(), name="simulator-test-drop")
    with pytest.raises(aiohttp.ClientPayloadError):
        await collect(sim.core.list_namespaced_pod, "default", timeout_seconds=10)
    await dropping


async def _post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any] | None = None
) -> Any:
    async with session.post(url, json=body or {}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_fault_routes_over_http(sim: Sim) -> None:
    base = sim.running.url
    async with aiohttp.ClientSession() as session:
        state = await (await session.get(f"{base}/_sim/state")).json()
        assert state["name"] == "faulty"
        assert state["objects"] >= 500
        assert state["uid"] == sim.cluster.uid
        await _post(
            session, f"{base}/_sim/faults/errors", {"resource": "pods", "status": 503, "count": 1}
        )
        async with session.get(f"{base}/api/v1/pods") as failed:
            assert failed.status == 503
            assert (await failed.json())["reason"] == "ServiceUnavailable"
        async with session.get(f"{base}/api/v1/pods") as ok:
            assert ok.status == 200
        await _post(session, f"{base}/_sim/faults/forbid", {"resource": "nodes"})
        async with session.get(f"{base}/api/v1/nodes") as denied:
            assert denied.status == 403
        await _post(session, f"{base}/_sim/faults/clear")
        async with session.get(f"{base}/api/v1/nodes") as allowed:
            assert allowed.status == 200
        floor = await _post(session, f"{base}/_sim/faults/compact")
        assert floor["floor"] == sim.cluster.rv
        async with session.post(f"{base}/_sim/faults/errors", json={"status": 500}) as bad:
            assert bad.status == 400
            assert (await bad.json())["kind"] == "Status"
        before = sim.cluster.rv
        burst = await _post(session, f"{base}/_sim/churn/burst", {"events": 50})
        assert burst["applied"] == 50
        assert sim.cluster.rv == before + 50
        started = await _post(session, f"{base}/_sim/churn", {"rate": 100})
        assert started["running"] is True
        churn = sim.cluster.churn
        assert churn is not None
        await until(lambda: churn.applied > 0, 5, "the churn changes something")
        async with session.delete(f"{base}/_sim/churn") as stopped:
            assert (await stopped.json())["running"] is False
        assert sim.cluster.churn is None
        assert sim.cluster.rv > before + 50


async def test_bearer_token(tmp_path: Any) -> None:
    from ..helpers import api_client

    cluster = SimulatedCluster("secured", token="s3cret")
    async with cluster.serving() as running:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{running.url}/api/v1/namespaces") as anonymous:
                assert anonymous.status == 401
                assert (await anonymous.json())["reason"] == "Unauthorized"
            async with session.get(f"{running.url}/_sim/state") as admin:
                assert admin.status == 401
            async with session.get(f"{running.url}/healthz") as health:
                assert health.status == 200
        path = running.write_kubeconfig(tmp_path / "kubeconfig.json")
        assert "s3cret" in path.read_text()
        async with await api_client(path) as api:
            listed = await client.CoreV1Api(api).list_namespace()
            assert "kube-system" in {n.metadata.name for n in listed.items}


async def test_cluster_identity_is_stable_per_name_and_seed() -> None:
    first = SimulatedCluster("prod-east", seed=1)
    again = SimulatedCluster("prod-east", seed=1)
    other_seed = SimulatedCluster("prod-east", seed=2)
    other_name = SimulatedCluster("prod-west", seed=1)
    assert first.uid == again.uid
    assert len({first.uid, other_seed.uid, other_name.uid}) == 3
