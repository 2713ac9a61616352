"""Probes through a cluster's service proxy, against the simulated API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from graphql_server.connectivity import ClusterProxy, check_connectivity
from graphql_server.kube.client import KubeClient
from graphql_server.kube.config import client_from_kubeconfig
from graphql_server.simulator import RunningSimulator, SimulatedCluster
from graphql_server.simulator.http.monitoring import GRAFANA_PASSWORD, GRAFANA_USER
from graphql_server.simulator.kubeconfig import kubeconfig_dict, write_kubeconfig

TOKEN = "cluster-token-7c1e"
PROM_URL = "http://metrics-store.monitoring.svc:9090"
GRAFANA_URL = "http://dashboards.monitoring.svc:3000"
GRAFANA_SECRET = {"username": GRAFANA_USER, "password": GRAFANA_PASSWORD}


async def _served(token: str | None) -> AsyncIterator[RunningSimulator[SimulatedCluster]]:
    cluster = SimulatedCluster("proxied", seed=2, token=token)
    cluster.seed_objects(200)
    async with cluster.serving() as running:
        yield running


@pytest.fixture
async def with_token() -> AsyncIterator[RunningSimulator[SimulatedCluster]]:
    async for running in _served(TOKEN):
        yield running


@pytest.fixture
async def anonymous() -> AsyncIterator[RunningSimulator[SimulatedCluster]]:
    async for running in _served(None):
        yield running


async def _client(running: RunningSimulator[SimulatedCluster], tmp_path: Path) -> KubeClient:
    return await client_from_kubeconfig(running.write_kubeconfig(tmp_path / "kubeconfig"))


def _proxy(client: KubeClient, service: str, port: int) -> ClusterProxy:
    return ClusterProxy(client, "proxied", "monitoring", service, port)


async def test_prometheus_through_a_token_authenticated_api_server(
    with_token: RunningSimulator[SimulatedCluster], tmp_path: Path
) -> None:
    client = await _client(with_token, tmp_path)
    try:
        result = await check_connectivity(
            "prometheus",
            url=PROM_URL,
            registration={"metrics": ["up", "process_cpu_seconds_total"]},
            via=_proxy(client, "metrics-store", 9090),
        )
    finally:
        await client.close()
    assert result.ok, result.message
    assert result.server_version == "2.53.0"
    assert result.details["found_metrics"] == ["up", "process_cpu_seconds_total"]
    assert result.details["reach"] == "CLUSTER_PROXY"
    assert result.message.startswith("Prometheus 2.53.0 at monitoring/metrics-store through")


async def test_the_api_server_refusing_the_cluster_credential(
    with_token: RunningSimulator[SimulatedCluster], tmp_path: Path
) -> None:
    path = tmp_path / "wrong"
    write_kubeconfig(path, kubeconfig_dict(with_token.url, "proxied", "not-the-token"))
    client = await client_from_kubeconfig(path)
    try:
        result = await check_connectivity(
            "prometheus", url=PROM_URL, via=_proxy(client, "metrics-store", 9090)
        )
    finally:
        await client.close()
    assert not result.ok
    assert result.details["reason"] == "unauthenticated"
    assert "the API server of cluster proxied answered" in result.message
    assert "HTTP 401" in result.message
    assert "not-the-token" not in result.message


async def test_a_service_credential_cannot_share_the_header_with_a_cluster_token(
    with_token: RunningSimulator[SimulatedCluster], tmp_path: Path
) -> None:
    client = await _client(with_token, tmp_path)
    try:
        result = await check_connectivity(
            "grafana",
            url=GRAFANA_URL,
            credential_type="basic",
            credential=GRAFANA_SECRET,
            via=_proxy(client, "dashboards", 3000),
        )
    finally:
        await client.close()
    assert not result.ok
    assert result.details["reason"] == "proxy_credentials"
    assert GRAFANA_PASSWORD not in result.message


async def test_grafana_credentials_pass_through_an_anonymous_api_server(
    anonymous: RunningSimulator[SimulatedCluster], tmp_path: Path
) -> None:
    client = await _client(anonymous, tmp_path)
    try:
        ok = await check_connectivity(
            "grafana",
            url=GRAFANA_URL,
            credential_type="basic",
            credential=GRAFANA_SECRET,
            via=_proxy(client, "dashboards", 3000),
        )
        refused = await check_connectivity(
            "grafana",
            url=GRAFANA_URL,
            credential_type="basic",
            credential={"username": GRAFANA_USER, "password": "nope"},
            via=_proxy(client, "dashboards", 3000),
        )
    finally:
        await client.close()
    assert ok.ok, ok.message
    assert ok.details["organization"] == "Main Org."
    assert not refused.ok
    assert refused.details["reason"] == "unauthenticated"
    assert "HTTP 401 on /api/org" in refused.message


async def test_missing_and_stopped_services(
    anonymous: RunningSimulator[SimulatedCluster], tmp_path: Path
) -> None:
    client = await _client(anonymous, tmp_path)
    try:
        missing = await check_connectivity(
            "prometheus", url=PROM_URL, via=_proxy(client, "gone", 9090)
        )
        anonymous.cluster.faults.set_service_down("monitoring", "metrics-store", True)
        stopped = await check_connectivity(
            "prometheus", url=PROM_URL, via=_proxy(client, "metrics-store", 9090)
        )
    finally:
        await client.close()
    assert not missing.ok
    assert 'HTTP 404: services "gone" not found' in missing.message
    assert not stopped.ok
    assert missing.details["reason"] == stopped.details["reason"] == "proxy"
    assert "HTTP 503" in stopped.message
