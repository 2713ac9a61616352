"""The simulated apiserver's service proxy and the built-in monitoring endpoints behind it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from graphql_server.simulator import SimulatedCluster
from graphql_server.simulator.http.monitoring import GRAFANA_PASSWORD, GRAFANA_USER

TOKEN = "proxy-test-token"
PROM = "/api/v1/namespaces/monitoring/services/http:metrics-store:9090/proxy"
GRAFANA = "/api/v1/namespaces/monitoring/services/dashboards:http/proxy"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = TOKEN,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.url + path, headers=sent, **kwargs) as reply:
            if reply.content_type == "application/json":
                return reply.status, await reply.json()
            return reply.status, await reply.text()


async def _serve(token: str | None) -> AsyncIterator[Client]:
    cluster = SimulatedCluster("proxied", seed=3, token=token)
    cluster.seed_objects(300)
    async with cluster.serving() as running, aiohttp.ClientSession() as session:
        yield Client(session, running.url)


@pytest.fixture
async def api() -> AsyncIterator[Client]:
    async for client in _serve(TOKEN):
        yield client


@pytest.fixture
async def open_api() -> AsyncIterator[Client]:
    async for client in _serve(None):
        yield client


async def test_prometheus_answers_through_the_proxy_with_path_and_query(api: Client) -> None:
    status, ready = await api.call("GET", PROM + "/-/ready")
    assert (status, ready) == (200, "Prometheus Server is Ready.\n")
    status, info = await api.call("GET", PROM + "/api/v1/status/buildinfo")
    assert status == 200
    assert info["data"]["version"] == "2.53.0"
    status, names = await api.call(
        "GET",
        PROM + "/api/v1/label/__name__/values",
        params={"match[]": '{__name__=~"up|process_cpu_seconds_total|nope"}'},
    )
    assert status == 200
    assert names["data"] == ["process_cpu_seconds_total", "up"]
    status, result = await api.call("GET", PROM + "/api/v1/query", params={"query": "up"})
    assert status == 200
    series = result["data"]["result"]
    assert {s["metric"]["job"] for s in series} == {"prometheus", "kubernetes-apiservers"}
    assert all(s["metric"]["__name__"] == "up" and s["value"][1] == "1.0" for s in series)


async def test_post_bodies_pass_through(api: Client) -> None:
    status, result = await api.call(
        "POST", PROM + "/api/v1/query", data={"query": "process_cpu_seconds_total"}
    )
    assert status == 200
    assert [s["value"][1] for s in result["data"]["result"]] == ["42.5"]
    status, error = await api.call("POST", PROM + "/api/v1/query", data={"query": "rate(up[5m])"})
    assert status == 400
    assert error["errorType"] == "bad_data"


async def test_the_service_id_forms_the_apiserver_accepts(api: Client) -> None:
    for service_id in ("metrics-store:http", "metrics-store:9090", "http:metrics-store:http"):
        path = f"/api/v1/namespaces/monitoring/services/{service_id}/proxy/-/ready"
        status, _ = await api.call("GET", path)
        assert status == 200, service_id
    # a named port must be named: no port matches the empty one
    status, body = await api.call(
        "GET", "/api/v1/namespaces/monitoring/services/metrics-store/proxy/-/ready"
    )
    assert status == 503
    assert body["reason"] == "ServiceUnavailable"
    status, body = await api.call(
        "GET", "/api/v1/namespaces/monitoring/services/metrics-store:8080/proxy/-/ready"
    )
    assert status == 503
    assert 'no service port "8080"' in body["message"]


async def test_missing_services_and_services_without_an_endpoint(api: Client) -> None:
    status, body = await api.call(
        "GET", "/api/v1/namespaces/monitoring/services/nothing:http/proxy/"
    )
    assert status == 404
    assert body["kind"] == "Status"
    assert body["reason"] == "NotFound"
    assert body["message"] == 'services "nothing" not found'
    # the decoy nginx has no endpoint behind it here
    status, body = await api.call(
        "GET", "/api/v1/namespaces/docs/services/prometheus-notes:http/proxy/"
    )
    assert status == 503
    assert body["message"] == 'no endpoints available for service "prometheus-notes"'
    status, body = await api.call("GET", PROM.replace("http:", "https:") + "/-/ready")
    assert status == 503


async def test_the_proxy_needs_the_cluster_credential(api: Client) -> None:
    status, body = await api.call("GET", PROM + "/-/ready", token=None)
    assert status == 401
    assert body["reason"] == "Unauthorized"
    status, _ = await api.call("GET", PROM + "/-/ready", token="wrong")
    assert status == 401


async def test_grafana_wants_its_own_credential(open_api: Client) -> None:
    status, health = await open_api.call("GET", GRAFANA + "/api/health", token=None)
    assert status == 200
    assert health["database"] == "ok"
    assert health["version"] == "11.1.0"
    status, _ = await open_api.call("GET", GRAFANA + "/api/org", token=None)
    assert status == 401
    wrong = {"Authorization": _basic(GRAFANA_USER, "nope")}
    status, _ = await open_api.call("GET", GRAFANA + "/api/org", token=None, headers=wrong)
    assert status == 401
    right = {"Authorization": _basic(GRAFANA_USER, GRAFANA_PASSWORD)}
    status, org = await open_api.call("GET", GRAFANA + "/api/org", token=None, headers=right)
    assert status == 200
    assert org["name"] == "Main Org."
    status, hits = await open_api.call(
        "GET", GRAFANA + "/api/search", token=None, headers=right, params={"query": "kube"}
    )
    assert status == 200
    assert [h["uid"] for h in hits] == ["k8s-cluster"]


async def test_the_header_that_authenticated_to_the_apiserver_is_not_passed_on(
    api: Client,
) -> None:
    # with a cluster token, Authorization is the apiserver's: Grafana never sees it
    status, _ = await api.call("GET", GRAFANA + "/api/org")
    assert status == 401


async def test_the_fault_hook_stops_and_restarts_an_endpoint(api: Client) -> None:
    hook = "/_sim/services/monitoring/metrics-store"
    status, _ = await api.call("POST", hook, json={"down": True}, token=None)
    assert status == 401
    status, body = await api.call("POST", hook, json={"down": True})
    assert status == 200
    assert body == {"namespace": "monitoring", "name": "metrics-store", "down": True}
    status, body = await api.call("GET", PROM + "/-/ready")
    assert status == 503
    assert body["message"] == 'no endpoints available for service "metrics-store"'
    status, grafana = await api.call("GET", GRAFANA + "/api/health")
    assert status == 200
    assert grafana["database"] == "ok"
    status, state = await api.call("GET", "/_sim/state")
    assert state["faults"]["servicesDown"] == ["monitoring/metrics-store"]
    status, _ = await api.call("POST", hook, json={"down": False})
    assert status == 200
    status, _ = await api.call("GET", PROM + "/-/ready")
    assert status == 200


async def test_the_fault_hook_refuses_bad_input(api: Client) -> None:
    status, body = await api.call("POST", "/_sim/services/monitoring/metrics-store", json={})
    assert status == 400
    assert "down" in body["message"]
    status, _ = await api.call("POST", "/_sim/services/monitoring/nothing", json={"down": True})
    assert status == 404
    status, state = await api.call("GET", "/_sim/state")
    assert state["faults"]["servicesDown"] == []
