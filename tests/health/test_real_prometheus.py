"""A real Prometheus reached DIRECT, all through GraphQL: registered with metrics to
listen to, read (``connectionMetrics``, ``prometheusMetricNames`` and the live
subscription), then stopped: the health loop moves it to REGISTERED with a reason and
one event, and back to CONNECTED with one more once the same Prometheus is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graphql_server.settings import Settings
from tests.conftest import RunningServer, free_port, serving
from tests.connections.gql import codes, eventually
from tests.connectivity.conftest import Prometheus, _get, _launch, _prometheus_binary, _stop
from tests.helpers import data, ws_client

from .conftest import REGISTER, connection, moves

FAILURES = 2
METRICS = """
query ($id: ID!) {
  connectionMetrics(connectionId: $id) {
    connectionId at error
    metrics { name truncated error samples { labels value timestamp } }
  }
}
"""
NAMES = """
query ($id: ID!, $prefix: String!) {
  prometheusMetricNames(connectionId: $id, prefix: $prefix, first: 20)
}
"""
LIVE = """
subscription ($id: ID!) {
  connectionMetrics(connectionId: $id, intervalSeconds: 1) {
    at error metrics { name samples { value } }
  }
}
"""


class OwnPrometheus:
    """A real Prometheus of this test alone, stopped and started again on its port."""

    def __init__(self, folder: Path) -> None:
        self.binary = _prometheus_binary()
        self.folder = folder
        self.port = free_port()
        self.running: Prometheus | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.running = _launch(self.binary, self.folder, basic_auth=False, port=self.port)
        deadline = time.monotonic() + 60
        while _get(f"{self.url}/-/ready", None)[0] != 200:
            if self.running.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prometheus did not start:\n{self.running.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.running is not None:
            _stop(self.running)
            self.running = None


@pytest.fixture
def own_prometheus(tmp_path: Path) -> Iterator[OwnPrometheus]:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    prometheus = OwnPrometheus(folder)
    prometheus.start()
    try:
        yield prometheus
    finally:
        prometheus.stop()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'inventory.sqlite3'}",
        data_dir=tmp_path,
        port=free_port(),
        health_interval=0.3,
        health_failures=FAILURES,
    )
    async with serving(settings) as running:
        yield running


async def _status(url: str, connection_id: str, wanted: str) -> dict[str, Any] | None:
    found = await connection(url, connection_id)
    return found if found["status"] == wanted else None


async def test_real_prometheus_direct_read_stopped_and_recovered(
    server: RunningServer, own_prometheus: OwnPrometheus, closed_url: str
) -> None:
    url = server.graphql
    form = {
        "kind": "prometheus",
        "name": "real prometheus",
        "url": own_prometheus.url,
        "registration": {"metrics": ["prometheus_build_info", "up", "no_such_metric"]},
    }
    prom = (await data(url, REGISTER, {"input": form}))["registerConnection"]["connection"]
    assert (prom["status"], prom["reach"]) == ("CONNECTED", "DIRECT")

    # The metrics it listens to, read through its reach (once it has scraped itself)
    async def scraped() -> dict[str, Any] | None:
        read = (await data(url, METRICS, {"id": prom["id"]}))["connectionMetrics"]
        return read if read["metrics"][0]["samples"] else None

    read = await eventually(scraped, within=60, what="prometheus to scrape itself")
    build, up, missing = read["metrics"]
    assert build["name"] == "prometheus_build_info"
    assert build["samples"][0]["value"] == 1.0
    assert build["samples"][0]["labels"]["version"]
    assert "__name__" not in build["samples"][0]["labels"]
    assert up["name"] == "up"
    assert missing == {"name": "no_such_metric", "truncated": False, "error": None, "samples": []}
    names = await data(url, NAMES, {"id": prom["id"], "prefix": "prometheus_build"})
    assert names["prometheusMetricNames"] == ["prometheus_build_info"]
    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(LIVE, {"id": prom["id"]})
        first = (await client.next_data(op))["data"]["connectionMetrics"]
        second = (await client.next_data(op))["data"]["connectionMetrics"]
        assert first["at"] < second["at"]
        assert second["metrics"][0]["samples"][0]["value"] == 1.0

    # Typed errors: an unknown id, a connection of another kind
    assert await codes(url, METRICS, {"id": "no-such-id"}) == ["NOT_FOUND"]
    grafana = {
        "kind": "grafana",
        "name": "grafana",
        "url": closed_url,
        "credential": {"type": "api_token", "data": {"token": "grafana-token"}},
    }
    other = (await data(url, REGISTER, {"input": grafana}))["registerConnection"]["connection"]
    assert await codes(url, METRICS, {"id": other["id"]}) == ["BAD_INPUT"]
    assert await codes(url, NAMES, {"id": other["id"], "prefix": ""}) == ["BAD_INPUT"]

    # Stopped: the health loop moves it once, with the reason
    own_prometheus.stop()
    down = await eventually(
        lambda: _status(url, prom["id"], "REGISTERED"), within=30, what="the move to REGISTERED"
    )
    assert down["health"]["movedByServer"] is True
    assert down["health"]["status"] == "UNHEALTHY"
    port = urlsplit(own_prometheus.url).port
    assert f"cannot connect to 127.0.0.1:{port}" in down["health"]["lastTest"]["message"]
    (moved,) = await moves(url, prom["id"])
    assert "moved from CONNECTED to REGISTERED" in moved["message"]
    assert f"127.0.0.1:{port}" in moved["message"]
    assert await codes(url, METRICS, {"id": prom["id"]}) == ["CONNECTIVITY_FAILED"]

    async def failed_more() -> bool:
        found = await connection(url, prom["id"])
        return bool(found["health"]["consecutiveFailures"] >= FAILURES + 3)

    await eventually(failed_more, within=30, what="more failed tests")
    assert len(await moves(url, prom["id"])) == 1, "failed tests that move nothing log nothing"

    # Started again on its port: back to CONNECTED, one more event
    await asyncio.to_thread(own_prometheus.start)
    up_again = await eventually(
        lambda: _status(url, prom["id"], "CONNECTED"), within=30, what="the move back"
    )
    assert up_again["health"]["status"] == "HEALTHY"
    assert up_again["health"]["movedByServer"] is False
    recovered, _ = await moves(url, prom["id"])
    assert "moved from REGISTERED to CONNECTED" in recovered["message"]
    assert recovered["severity"] == "SUCCESS"
