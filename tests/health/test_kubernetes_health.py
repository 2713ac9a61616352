"""A Kubernetes connection's health is its watch streams, in ``serve --demo`` (run in
this process): when every request of the simulated API server fails, its watches all
fail and the health loop moves the connection to REGISTERED with one event; once the
API server answers again, the connection's test passes and it is CONNECTED again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from graphql_server.components import demo_components
from graphql_server.settings import Settings
from tests.conftest import RunningServer, free_port, serving
from tests.connections.gql import eventually
from tests.helpers import data

from .conftest import connection, moves

FOUND = """
{ connections(filter: {kinds: ["kubernetes"], statuses: [CONNECTED]}, first: 5) {
    edges { node { id clusterId } } } }
"""


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'inventory.sqlite3'}",
        data_dir=tmp_path,
        port=free_port(),
        demo=True,
        demo_objects=100,
        demo_churn=0.0,
        health_interval=0.3,
        health_failures=2,
    )
    async with serving(settings, components=demo_components(settings)) as running:
        yield running


async def _simulator(data_dir: Path, path: str, body: dict[str, Any]) -> None:
    kubeconfig = orjson.loads((data_dir / "demo-kubeconfig").read_bytes())
    server = kubeconfig["clusters"][0]["cluster"]["server"]
    async with aiohttp.ClientSession() as session, session.post(server + path, json=body) as r:
        assert r.status == 200, await r.text()


async def test_a_cluster_whose_watches_all_fail_moves_and_recovers(
    demo: RunningServer, tmp_path: Path
) -> None:
    url = demo.graphql

    async def connected() -> dict[str, Any] | None:
        edges = (await data(url, FOUND))["connections"]["edges"]
        if not edges or not edges[0]["node"]["clusterId"]:
            return None
        found = await connection(url, edges[0]["node"]["id"])
        return found if found["health"]["status"] == "HEALTHY" else None

    cluster = await eventually(connected, within=60, what="the demo cluster to be healthy")
    before = len(await moves(url, cluster["id"]))

    await _simulator(tmp_path, "/_sim/faults/errors", {"resource": "*", "status": 500})
    await _simulator(tmp_path, "/_sim/faults/drop-watches", {})

    async def status(wanted: str) -> dict[str, Any] | None:
        found = await connection(url, cluster["id"])
        return found if found["status"] == wanted else None

    down = await eventually(lambda: status("REGISTERED"), within=90, what="the move to REGISTERED")
    assert down["health"]["movedByServer"] is True
    moved, *_ = await moves(url, cluster["id"])
    assert moved["actor"] == "health"
    assert "health tests failed in a row" in moved["message"]
    assert (
        f"every watch stream of cluster {cluster['metadata']['clusterId']} fails"
        in (moved["message"])
    )
    assert "moved from CONNECTED to REGISTERED" in moved["message"]
    assert len(await moves(url, cluster["id"])) == before + 1

    await _simulator(tmp_path, "/_sim/faults/clear", {})
    up = await eventually(lambda: status("CONNECTED"), within=90, what="the move back")
    assert up["health"]["movedByServer"] is False
    recovered, *_ = await moves(url, cluster["id"])
    assert "moved from REGISTERED to CONNECTED" in recovered["message"]
    assert len(await moves(url, cluster["id"])) == before + 2
