"""Network failures become results; only malformed input raises."""

from __future__ import annotations

import time

import pytest

from graphql_server.connectivity import check_connectivity
from graphql_server.errors import BadInput
from graphql_server.lifecycle import ConnectionStatus

from .servers import GRAFANA_TOKEN


async def test_refused_connection(closed_url: str) -> None:
    result = await check_connectivity("prometheus", url=closed_url)
    assert not result.ok
    assert result.status is ConnectionStatus.REGISTERED
    assert result.details["reason"] == "unreachable"
    assert "cannot connect to 127.0.0.1:" in result.message
    assert result.latency_ms is None


async def test_unresolvable_host() -> None:
    result = await check_connectivity("prometheus", url="http://no-such-host.invalid:9090")
    assert not result.ok
    assert result.details["reason"] == "dns"
    assert "no-such-host.invalid" in result.message


async def test_slow_server_times_out(slow_url: str) -> None:
    started = time.monotonic()
    result = await check_connectivity(
        "grafana",
        url=slow_url,
        credential_type="api_token",
        credential={"token": GRAFANA_TOKEN},
        timeout_seconds=0.3,
    )
    elapsed = time.monotonic() - started
    assert not result.ok
    assert result.details["reason"] == "timeout"
    assert "within 0.3 s" in result.message
    assert elapsed < 2


@pytest.mark.parametrize("kind", ["prometheus", "grafana"])
async def test_non_json_bodies(html_url: str, kind: str) -> None:
    credential_type, credential = (
        ("none", {}) if kind == "prometheus" else ("basic", {"username": "a", "password": "b"})
    )
    result = await check_connectivity(
        kind, url=html_url, credential_type=credential_type, credential=credential
    )
    assert not result.ok
    assert result.details["reason"] == "unexpected_response"
    assert "not" in result.message
    assert "JSON" in result.message


async def test_non_json_kubernetes(html_url: str) -> None:
    result = await check_connectivity(
        "kubernetes", url=html_url, credential_type="token", credential={"token": "x"}
    )
    assert result.details["reason"] == "unexpected_response"


@pytest.mark.parametrize(
    ("kind", "url", "problem"),
    [
        ("prometheus", "ftp://host", "http or https"),
        ("prometheus", "http://", "no host"),
        ("prometheus", "http://host:99999", "malformed"),
        ("prometheus", "http://user:pw@host:9090", "must not carry a user"),
        ("prometheus", "http://host/?x=1", "query"),
        ("loki", "http://host", "unknown connection kind"),
    ],
)
async def test_malformed_input_raises_bad_input(kind: str, url: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem) as caught:
        await check_connectivity(kind, url=url, credential_type="none")
    assert "pw@" not in caught.value.message


async def test_missing_url_and_bad_timeout() -> None:
    with pytest.raises(BadInput, match="needs a URL"):
        await check_connectivity("prometheus")
    with pytest.raises(BadInput, match="positive"):
        await check_connectivity("prometheus", url="http://h", timeout_seconds=0)
    with pytest.raises(BadInput, match="needs a server URL"):
        await check_connectivity("kubernetes", credential_type="token", credential={"token": "t"})
