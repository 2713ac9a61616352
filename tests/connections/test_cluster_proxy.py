"""Discovered services reached through their cluster's API server, as ``serve --demo`` runs.

The server runs with the demo components (a seeded simulated cluster in-process and the
sync following it); everything below goes through GraphQL, except stopping and
restarting the simulator's Prometheus endpoint with its fault hook.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from graphql_server.components import demo_components
from graphql_server.settings import Settings
from graphql_server.simulator.http.monitoring import GRAFANA_PASSWORD, GRAFANA_USER
from tests.conftest import RunningServer, free_port, serving
from tests.connections.gql import (
    ASSIGN_CREDENTIAL,
    CREATE_CREDENTIAL,
    TEST,
    TRANSITION,
    codes,
    eventually,
)
from tests.helpers import data

FIELDS = "id name kind status url reach clusterId metadata lastTest { ok message }"
FOUND = f"""
query ($filter: ConnectionFilter) {{
  connections(filter: $filter, first: 50) {{ edges {{ node {{ {FIELDS} }} }} }}
}}
"""
REGISTER = f"""
mutation ($input: RegisterConnectionInput!) {{
  registerConnection(input: $input) {{ connection {{ {FIELDS} }} }}
}}
"""


@pytest.fixture
async def demo(database_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        port=free_port(),
        demo=True,
        demo_objects=300,
        demo_churn=0.0,
    )
    async with serving(settings, components=demo_components(settings)) as running:
        yield running


async def _found(url: str, kinds: list[str], status: str | None = None) -> list[dict[str, Any]]:
    filter_: dict[str, Any] = {"kinds": kinds}
    if status:
        filter_["statuses"] = [status]
    edges = (await data(url, FOUND, {"filter": filter_}))["connections"]["edges"]
    return [edge["node"] for edge in edges]


async def _monitoring(url: str) -> dict[str, dict[str, Any]]:
    async def both() -> dict[str, dict[str, Any]] | None:
        nodes = await _found(url, ["prometheus", "grafana"], "DISCOVERED")
        if {n["kind"] for n in nodes} != {"prometheus", "grafana"}:
            return None
        cluster = await _found(url, ["kubernetes"], "CONNECTED")
        return {n["kind"]: n for n in nodes} if cluster and cluster[0]["clusterId"] else None

    found: dict[str, dict[str, Any]] = await eventually(
        both, within=60, what="the demo's Prometheus and Grafana to be discovered"
    )
    return found


def _simulator_url(data_dir: Path) -> str:
    kubeconfig = orjson.loads((data_dir / "demo-kubeconfig").read_bytes())
    return str(kubeconfig["clusters"][0]["cluster"]["server"])


async def _set_down(data_dir: Path, down: bool) -> None:
    hook = f"{_simulator_url(data_dir)}/_sim/services/monitoring/metrics-store"
    async with aiohttp.ClientSession() as session, session.post(hook, json={"down": down}) as r:
        assert r.status == 200, await r.text()


async def _test(url: str, connection_id: str, **extra: Any) -> dict[str, Any]:
    result = await data(url, TEST, {"input": {"connectionId": connection_id, **extra}})
    return dict(result["testConnection"])


async def test_discovered_services_connect_through_the_service_proxy(
    demo: RunningServer, tmp_path: Path
) -> None:
    url = demo.graphql
    found = await _monitoring(url)
    prometheus, grafana = found["prometheus"], found["grafana"]
    assert prometheus["reach"] == "CLUSTER_PROXY"
    assert grafana["reach"] == "CLUSTER_PROXY"
    assert prometheus["url"] == "http://metrics-store.monitoring.svc:9090"

    # Prometheus: tested and registered through the proxy, with a metric to listen to
    tested = await _test(url, prometheus["id"])
    assert tested["ok"] is True, tested
    assert tested["serverVersion"] == "2.53.0"
    assert tested["details"]["reach"] == "CLUSTER_PROXY"
    assert "monitoring/metrics-store through the API server" in tested["message"]
    registered = await data(
        url,
        REGISTER,
        {
            "input": {
                "connectionId": prometheus["id"],
                "registration": {"metrics": ["up", "not_a_metric"]},
            }
        },
    )
    connection = registered["registerConnection"]["connection"]
    assert connection["status"] == "CONNECTED", connection["lastTest"]
    assert connection["reach"] == "CLUSTER_PROXY"
    assert "1 of 2 metrics not found: not_a_metric" in connection["lastTest"]["message"]

    # Grafana: its own credential goes through the proxy; a wrong one is refused by it
    wrong = {"type": "basic", "data": {"username": GRAFANA_USER, "password": "wrong"}}
    registered = await data(
        url, REGISTER, {"input": {"connectionId": grafana["id"], "credential": wrong}}
    )
    connection = registered["registerConnection"]["connection"]
    assert connection["status"] == "REGISTERED"
    assert "HTTP 401 on /api/org" in connection["lastTest"]["message"]
    assert "wrong" not in str(connection)
    assert await codes(url, TRANSITION, {"id": grafana["id"], "status": "CONNECTED"}) == [
        "CONNECTIVITY_FAILED"
    ]
    right = {"username": GRAFANA_USER, "password": GRAFANA_PASSWORD}
    credential = await data(
        url,
        CREATE_CREDENTIAL,
        {"input": {"name": "demo grafana", "kind": "grafana", "type": "basic", "data": right}},
    )
    await data(
        url,
        ASSIGN_CREDENTIAL,
        {"credentialId": credential["createCredential"]["id"], "connectionIds": [grafana["id"]]},
    )
    moved = await data(url, TRANSITION, {"id": grafana["id"], "status": "CONNECTED"})
    assert moved["transitionConnection"]["status"] == "CONNECTED"

    # The endpoint behind the service stops, then answers again
    await _set_down(tmp_path, True)
    stopped = await _test(url, prometheus["id"])
    assert stopped["ok"] is False
    assert 'no endpoints available for service "metrics-store"' in stopped["message"]
    assert "HTTP 503" in stopped["message"]
    await _set_down(tmp_path, False)
    assert (await _test(url, prometheus["id"]))["ok"] is True


async def test_direct_reach_of_a_discovered_service_fails_outside_the_cluster(
    demo: RunningServer,
) -> None:
    url = demo.graphql
    prometheus = (await _monitoring(url))["prometheus"]
    registered = await data(
        url, REGISTER, {"input": {"connectionId": prometheus["id"], "reach": "DIRECT"}}
    )
    connection = registered["registerConnection"]["connection"]
    assert connection["reach"] == "DIRECT"
    assert connection["status"] == "REGISTERED"
    assert "metrics-store.monitoring.svc" in connection["lastTest"]["message"]
    # a URL given without a reach is where to go
    given = {"connectionId": prometheus["id"], "url": "http://127.0.0.1:9"}
    registered = await data(url, REGISTER, {"input": given})
    connection = registered["registerConnection"]["connection"]
    assert (connection["reach"], connection["status"]) == ("DIRECT", "REGISTERED")
    assert "127.0.0.1:9" in connection["lastTest"]["message"]
    # and back through the proxy at the next registration
    registered = await data(
        url, REGISTER, {"input": {"connectionId": prometheus["id"], "reach": "CLUSTER_PROXY"}}
    )
    connection = registered["registerConnection"]["connection"]
    assert (connection["reach"], connection["status"]) == ("CLUSTER_PROXY", "CONNECTED")


async def test_the_proxy_needs_the_cluster_connected(demo: RunningServer) -> None:
    url = demo.graphql
    prometheus = (await _monitoring(url))["prometheus"]
    cluster = (await _found(url, ["kubernetes"], "CONNECTED"))[0]
    await data(url, TRANSITION, {"id": cluster["id"], "status": "REGISTERED"})
    tested = await _test(url, prometheus["id"])
    assert tested["ok"] is False
    assert tested["details"]["reason"] == "no_cluster_connection"
    assert "no CONNECTED Kubernetes connection reaches cluster" in tested["message"]


async def test_only_discovered_services_go_through_a_cluster(demo: RunningServer) -> None:
    url = demo.graphql
    form = {"kind": "prometheus", "url": "http://127.0.0.1:9", "reach": "CLUSTER_PROXY"}
    assert await codes(url, REGISTER, {"input": form}) == ["BAD_INPUT"]
    assert await _found(url, ["prometheus"], "REGISTERED") == []
