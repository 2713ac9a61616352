"""``/metrics`` scraped over real HTTP: the sync's figures move as the simulator churns,
GraphQL operations are counted with their errors, subscribers are seen, tokens apply."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from graphql_server.api.context import Services
from graphql_server.api.transport.operation_metrics import OTHER, OperationMetrics
from graphql_server.broker import InProcessBroker
from graphql_server.components import sync_component
from graphql_server.metrics.collectors import ServingCollector
from graphql_server.settings import Settings
from graphql_server.simulator import SimulatedCluster
from graphql_server.store import Store
from tests.conftest import RunningServer, free_port, serving
from tests.helpers import post, ws_client
from tests.sync.harness import converge, simulator_inventory

OBJECTS = "graphql_server_sync_objects"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def scrape(url: str, token: str | None = None) -> Samples:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/metrics", headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        assert response.content_type == "text/plain"
        return parse(await response.text())


async def eventually(url: str, check: Callable[[Samples], bool], within: float = 20.0) -> Samples:
    deadline = time.monotonic() + within
    while True:
        samples = await scrape(url)
        if check(samples):
            return samples
        if time.monotonic() > deadline:
            raise AssertionError("the metrics never showed the expected change")
        await asyncio.sleep(0.2)


async def test_sync_figures_change_as_the_simulator_churns(
    database_url: str, tmp_path: Path
) -> None:
    cluster = SimulatedCluster("sim", seed=5, bookmark_interval=0.3)
    cluster.seed_objects(300)
    async with cluster.serving() as running:
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
        settings = Settings(
            database_url=database_url, data_dir=tmp_path, port=free_port(), kubeconfig=kubeconfig
        )
        async with serving(settings, components=(sync_component(settings),)) as server:
            await converge(server.services.store, cluster)
            uid = cluster.uid
            pods = sum(1 for (kind, _) in simulator_inventory(cluster) if kind == "pods")
            before = await eventually(  # SYNCED once stored and, on a first load, indexed
                server.url,
                lambda s: (
                    total(s, OBJECTS, cluster_id=uid, resource_type="pods") == pods
                    and total(s, "graphql_server_cluster_phase", cluster_id=uid, phase="SYNCED")
                    == 1
                ),
            )
            assert total(before, "graphql_server_watch_relists_total", reason="initial") >= 20
            phase = "graphql_server_sync_phase"
            assert total(before, phase, resource_type="pods", phase="SYNCED") == 1
            phase = "graphql_server_cluster_phase"
            assert total(before, phase, cluster_id=uid, phase="SYNCED") == 1
            assert total(before, "graphql_server_watches", cluster_id=uid) >= 20
            assert total(before, "graphql_server_writer_batches_total") > 0
            assert total(before, "graphql_server_writer_batch_rows_count") > 0
            assert total(before, "graphql_server_writer_queue_capacity_rows") > 0
            assert total(before, "process_resident_memory_bytes") > 10 * 2**20

            await cluster.start_churn(200, seed=9)
            churned = await eventually(
                server.url,
                lambda s: (
                    total(s, "graphql_server_sync_events_applied_total", resource_type="pods")
                    >= total(
                        before, "graphql_server_sync_events_applied_total", resource_type="pods"
                    )
                    + 50
                ),
            )
            await cluster.stop_churn()
            assert total(churned, "graphql_server_writer_events_total") > total(
                before, "graphql_server_writer_events_total"
            )
            assert total(churned, "graphql_server_writer_batch_seconds_count") > total(
                before, "graphql_server_writer_batch_seconds_count"
            )
            lag = total(churned, "graphql_server_sync_seconds_since_last_event", cluster_id=uid,
                        resource_type="pods")  # fmt: skip
            assert 0 <= lag < 10

            cluster.drop_watches()
            await eventually(
                server.url,
                lambda s: (
                    total(s, "graphql_server_watch_restarts_total", cluster_id=uid)
                    > total(churned, "graphql_server_watch_restarts_total", cluster_id=uid)
                ),
            )
            cluster.expire_watches()
            expired = await eventually(
                server.url,
                lambda s: (
                    total(s, "graphql_server_watch_relists_total", reason="expired") > 0
                    and total(s, "graphql_server_watch_restarts_total", reason="expired") > 0
                ),
            )
            await converge(server.services.store, cluster)
            pods = sum(1 for (kind, _) in simulator_inventory(cluster) if kind == "pods")
            await eventually(
                server.url,
                lambda s: total(s, OBJECTS, cluster_id=uid, resource_type="pods") == pods,
            )
    assert total(expired, "graphql_server_watch_relists_total", reason="initial") == total(
        before, "graphql_server_watch_relists_total", reason="initial"
    )


async def test_graphql_operations_errors_and_subscribers(server: RunningServer) -> None:
    for _ in range(2):
        status, body = await post(server.graphql, "query Clusters { clusters { id } }")
        assert status == 200
        assert "errors" not in body
    await post(server.graphql, 'mutation Resync { resyncCluster(clusterId: "nope") }')
    await post(server.graphql, "query Broken { noSuchField }")
    samples = await scrape(server.url)
    ops = "graphql_server_graphql_operations_total"
    assert total(samples, ops, operation="Clusters", type="query") == 2
    latency = "graphql_server_graphql_operation_seconds_count"
    assert total(samples, latency, operation="Clusters") == 2
    errors = "graphql_server_graphql_errors_total"
    assert total(samples, errors, operation="Clusters") == 0
    assert total(samples, errors, operation="Resync", type="mutation", code="NOT_FOUND") == 1
    assert total(samples, errors, operation="Broken", code="BAD_INPUT") == 1
    assert total(samples, "graphql_server_subscribers") == 0

    async with ws_client(server.ws_url) as client:
        await client.subscribe("subscription Live { resourceEvents { type } }")
        subscribed = await eventually(
            server.url, lambda s: total(s, "graphql_server_subscribers") == 1
        )
        assert total(subscribed, "graphql_server_broker_subscriptions") >= 1
    await eventually(server.url, lambda s: total(s, "graphql_server_subscribers") == 0)


async def test_tokens_guard_the_metrics_when_set(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}",
        data_dir=tmp_path,
        port=free_port(),
        auth_token="full-token-for-metrics",
        read_token="read-token-for-metrics",
    )
    async with serving(settings) as server, aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/metrics") as response:
            assert response.status == 401
            assert "full-token" not in await response.text()
        for token in ("read-token-for-metrics", "full-token-for-metrics"):
            assert total(await scrape(server.url, token), "process_resident_memory_bytes") > 0
        async with session.post(f"{server.url}/metrics") as response:
            assert response.status == 405


def test_operation_names_are_bounded() -> None:
    metrics = OperationMetrics(CollectorRegistry(), max_names=2)
    names = [metrics.name(n) for n in ("A", "B", "C", "A", None)]
    assert names == ["A", "B", OTHER, "A", "anonymous"]


async def test_slow_subscribers_are_counted_when_dropped(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite://{tmp_path / 'db.sqlite3'}")
    broker = InProcessBroker()
    try:
        collector = ServingCollector(lambda: Services(Settings(), store, broker))
        before = broker.overflows.subscribers["slow-topic"]
        async with broker.subscribe("slow-topic", maxsize=2) as slow:
            for i in range(5):
                await broker.publish("slow-topic", i)
            figures = {m.name: m for m in collector.collect()}
            assert figures["graphql_server_broker_subscriptions"].samples[0].value == 1
            assert slow.total_dropped == 3
        dropped = {
            s.labels["mailbox"]: s.value
            for s in figures["graphql_server_slow_subscribers_dropped"].samples
        }
        assert dropped["slow-topic"] == before + 1
    finally:
        await store.close()
