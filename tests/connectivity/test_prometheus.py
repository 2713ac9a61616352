"""Prometheus connectivity tests against real Prometheus processes."""

from __future__ import annotations

import subprocess

from graphql_server.connectivity import check_connectivity
from graphql_server.lifecycle import ConnectionStatus

from .conftest import PROM_PASSWORD, PROM_USER, Prometheus
from .servers import PROM_BEARER


def _version() -> str:
    out = subprocess.run(["prometheus", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[2].split("+")[0]


async def test_open_prometheus_connects(prometheus: Prometheus) -> None:
    result = await check_connectivity("prometheus", url=prometheus.url)
    assert result.ok, result.message
    assert result.status is ConnectionStatus.CONNECTED
    assert result.server_version is not None
    assert result.server_version.startswith(_version())
    assert result.latency_ms is not None
    assert "found_metrics" not in result.details


async def test_url_without_scheme_defaults_to_http(prometheus: Prometheus) -> None:
    result = await check_connectivity("prometheus", url=prometheus.url.removeprefix("http://"))
    assert result.ok, result.message
    assert result.details["url"] == prometheus.url


async def test_found_and_missing_metrics(prometheus: Prometheus) -> None:
    metrics = ["up", "prometheus_build_info", "no_such_metric_total", "node_cpu_seconds_total"]
    result = await check_connectivity(
        "prometheus", url=prometheus.url, registration={"metrics": metrics}
    )
    assert result.ok, result.message
    assert result.status is ConnectionStatus.CONNECTED
    assert result.details["found_metrics"] == ["up", "prometheus_build_info"]
    assert result.details["missing_metrics"] == ["no_such_metric_total", "node_cpu_seconds_total"]
    assert "2 of 4 metrics not found" in result.message
    assert "no_such_metric_total" in result.message


async def test_all_metrics_found(prometheus: Prometheus) -> None:
    result = await check_connectivity(
        "prometheus", url=prometheus.url, registration={"metrics": ["up"]}
    )
    assert result.details["missing_metrics"] == []
    assert "all 1 metrics found" in result.message


async def test_basic_auth(prometheus_basic: Prometheus) -> None:
    good = {"username": PROM_USER, "password": PROM_PASSWORD}
    result = await check_connectivity(
        "prometheus",
        url=prometheus_basic.url,
        credential_type="basic",
        credential=good,
        registration={"metrics": ["up", "absent_metric"]},
    )
    assert result.ok, result.message
    assert result.details["missing_metrics"] == ["absent_metric"]


async def test_basic_auth_wrong_password_and_none(prometheus_basic: Prometheus) -> None:
    bad = {"username": PROM_USER, "password": "not-the-password"}
    result = await check_connectivity(
        "prometheus", url=prometheus_basic.url, credential_type="basic", credential=bad
    )
    assert not result.ok
    assert result.status is ConnectionStatus.REGISTERED
    assert result.details["reason"] == "unauthenticated"
    result = await check_connectivity("prometheus", url=prometheus_basic.url)
    assert result.details["reason"] == "unauthenticated"


async def test_bearer_through_an_auth_proxy(prometheus_bearer: str) -> None:
    result = await check_connectivity(
        "prometheus",
        url=prometheus_bearer,
        credential_type="bearer",
        credential={"token": PROM_BEARER},
        registration={"metrics": ["up", "missing_one"]},
    )
    assert result.ok, result.message
    assert result.details["found_metrics"] == ["up"]
    assert result.details["missing_metrics"] == ["missing_one"]
    result = await check_connectivity(
        "prometheus",
        url=prometheus_bearer,
        credential_type="bearer",
        credential={"token": "wrong"},
    )
    assert not result.ok
    assert result.details["http_status"] == 401


async def test_grafana_is_not_prometheus(grafana_url: str) -> None:
    result = await check_connectivity("prometheus", url=grafana_url)
    assert not result.ok
    assert result.details["reason"] == "unexpected_response"
    assert result.details["http_status"] == 404
