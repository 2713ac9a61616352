"""``graphql-server serve --demo`` as a person runs it, driven through GraphQL over HTTP
only: the discovered Prometheus and Grafana go from DISCOVERED to CONNECTED through
the cluster's service proxy; the simulator's Prometheus endpoint stops (its fault
hook) and the health loop moves the connection to REGISTERED with a reason and one
event; the endpoint starts again and the connection recovers with one more event."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from graphql_server.simulator.http.monitoring import GRAFANA_PASSWORD, GRAFANA_USER
from tests.cli.commands import ServerProcess, background
from tests.conftest import free_port
from tests.connections.gql import eventually
from tests.helpers import data

from .conftest import REGISTER, connection, entries, moves

FAILURES = 2
FOUND = """
query ($kinds: [String!], $statuses: [ConnectionStatus!]) {
  connections(filter: {kinds: $kinds, statuses: $statuses}, first: 20) {
    edges { node { id name kind status reach clusterId } }
  }
}
"""
METRICS = """
query ($id: ID!) {
  connectionMetrics(connectionId: $id) { metrics { name error samples { labels value } } }
}
"""


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data_dir, port = tmp_path / "data", free_port()
    args = [
        "serve", "--demo", "--demo-objects", "300", "--demo-churn", "0",
        "--port", str(port), "--data-dir", str(data_dir),
        "--health-interval", "0.5", "--health-failures", str(FAILURES),
    ]  # fmt: skip
    with background(*args, log=tmp_path / "serve.log") as server:
        server.wait_for("serving GraphQL at")
        yield f"http://127.0.0.1:{port}/graphql", data_dir
        _stopped(server)


def _stopped(server: ServerProcess) -> None:
    code, _ = server.stop(signal.SIGTERM)
    assert code == 0, server.output()
    assert "Traceback" not in server.output(), server.output()


async def _found(url: str, kinds: list[str], status: str) -> list[dict[str, Any]]:
    result = await data(url, FOUND, {"kinds": kinds, "statuses": [status]})
    return [edge["node"] for edge in result["connections"]["edges"]]


async def _set_down(data_dir: Path, down: bool) -> None:
    kubeconfig = orjson.loads((data_dir / "demo-kubeconfig").read_bytes())
    simulator = kubeconfig["clusters"][0]["cluster"]["server"]
    hook = f"{simulator}/_sim/services/monitoring/metrics-store"
    async with aiohttp.ClientSession() as session, session.post(hook, json={"down": down}) as r:
        assert r.status == 200, await r.text()


async def _status(url: str, connection_id: str, wanted: str) -> dict[str, Any] | None:
    found = await connection(url, connection_id)
    return found if found["status"] == wanted else None


async def test_demo_services_connect_fail_and_recover_through_the_proxy(
    demo: tuple[str, Path],
) -> None:
    url, data_dir = demo

    async def discovered() -> dict[str, dict[str, Any]] | None:
        found = await _found(url, ["prometheus", "grafana"], "DISCOVERED")
        clusters = await _found(url, ["kubernetes"], "CONNECTED")
        if {n["kind"] for n in found} != {"prometheus", "grafana"} or not clusters:
            return None
        return {n["kind"]: n for n in found} if clusters[0]["clusterId"] else None

    found = await eventually(discovered, within=90, what="the demo's monitoring services")
    prometheus, grafana = found["prometheus"], found["grafana"]
    assert (prometheus["reach"], grafana["reach"]) == ("CLUSTER_PROXY", "CLUSTER_PROXY")

    registered = await data(
        url,
        REGISTER,
        {"input": {"connectionId": prometheus["id"], "registration": {"metrics": ["up"]}}},
    )
    prom = registered["registerConnection"]["connection"]
    assert prom["status"] == "CONNECTED", prom["lastTest"]
    credential = {
        "type": "basic",
        "name": "demo grafana",
        "data": {"username": GRAFANA_USER, "password": GRAFANA_PASSWORD},
    }
    registered = await data(
        url, REGISTER, {"input": {"connectionId": grafana["id"], "credential": credential}}
    )
    graf = registered["registerConnection"]["connection"]
    assert graf["status"] == "CONNECTED", graf["lastTest"]
    (up,) = (await data(url, METRICS, {"id": prom["id"]}))["connectionMetrics"]["metrics"]
    assert up["name"] == "up"
    assert up["error"] is None
    assert up["samples"]
    assert all(s["value"] is not None for s in up["samples"])

    # The cluster's own health is its watch streams, tested by the same loop
    cluster = (await _found(url, ["kubernetes"], "CONNECTED"))[0]

    async def cluster_tested() -> bool:
        health = (await connection(url, cluster["id"]))["health"]
        return bool(health["status"] == "HEALTHY" and health["lastTest"])

    await eventually(cluster_tested, within=30, what="the cluster's watch streams to be tested")
    assert (
        "watch streams of cluster"
        in (await connection(url, cluster["id"]))["health"]["lastTest"]["message"]
    )

    # The Prometheus endpoint behind the service stops: one move, with the reason
    (registration,) = await moves(url, prom["id"])
    assert "moved from DISCOVERED to CONNECTED" in registration["message"]
    await _set_down(data_dir, True)
    down = await eventually(
        lambda: _status(url, prom["id"], "REGISTERED"), within=60, what="the move to REGISTERED"
    )
    assert down["health"]["movedByServer"] is True
    assert 'no endpoints available for service "metrics-store"' in down["lastTest"]["message"]
    moved, _ = await moves(url, prom["id"])
    assert "moved from CONNECTED to REGISTERED" in moved["message"]
    assert "metrics-store" in moved["message"]
    logged = await entries(url, prom["id"])

    async def failed_more() -> bool:
        health = (await connection(url, prom["id"]))["health"]
        return bool(health["consecutiveFailures"] >= FAILURES + 3)

    await eventually(failed_more, within=60, what="more failed tests")
    assert await entries(url, prom["id"]) == logged, "failed tests that move nothing log nothing"
    assert len(await moves(url, prom["id"])) == 2
    assert (await connection(url, graf["id"]))["status"] == "CONNECTED"
    assert (await connection(url, cluster["id"]))["status"] == "CONNECTED"

    # It answers again: back to CONNECTED, one more event
    await _set_down(data_dir, False)
    up_again = await eventually(
        lambda: _status(url, prom["id"], "CONNECTED"), within=60, what="the move back"
    )
    assert up_again["health"]["status"] == "HEALTHY"
    recovered, *earlier = await moves(url, prom["id"])
    assert "moved from REGISTERED to CONNECTED" in recovered["message"]
    assert len(earlier) == 2
    assert await entries(url, prom["id"]) == logged + 1
    assert len(await moves(url, graf["id"])) == 1, "Grafana only moved when it was registered"
