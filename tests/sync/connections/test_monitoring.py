"""Monitoring services fingerprinted in a synced cluster become DISCOVERED connections,
one per service however often they are found; they go NOT_FOUND when the service goes
and come back when it returns, while registered ones are left to the operator."""

from __future__ import annotations

import copy
from typing import Any

from graphql_server.simulator import RunningSimulator
from tests.conftest import RunningServer
from tests.connections.conftest import SIM_TOKEN
from tests.connections.gql import CONNECTIONS, REGISTER, eventually
from tests.helpers import data


async def monitoring(url: str) -> dict[str, dict[str, Any]]:
    result = await data(
        url,
        CONNECTIONS,
        {"filter": {"kinds": ["prometheus", "grafana"], "statuses": list(STATUSES)}},
    )
    return {edge["node"]["name"]: edge["node"] for edge in result["connections"]["edges"]}


STATUSES = ("DISCOVERED", "REGISTERED", "NOT_FOUND", "CONNECTED")


def recreatable(obj: dict[str, Any]) -> dict[str, Any]:
    fresh = copy.deepcopy(obj)
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
        fresh["metadata"].pop(key, None)
    return fresh


async def test_services_come_and_go(
    sync_server: RunningServer, simulated: RunningSimulator
) -> None:
    url = sync_server.graphql
    cluster = simulated.cluster
    await data(
        url,
        REGISTER,
        {
            "input": {
                "kind": "kubernetes",
                "credential": {
                    "type": "token",
                    "data": {"server": simulated.url, "token": SIM_TOKEN},
                },
            }
        },
    )

    async def both_found() -> dict[str, dict[str, Any]]:
        found = await monitoring(url)
        return found if len(found) == 2 else {}

    found = await eventually(both_found, what="Prometheus and Grafana to be discovered")
    prometheus = found["metrics-store.monitoring"]
    grafana = found["dashboards.monitoring"]
    assert (prometheus["kind"], grafana["kind"]) == ("prometheus", "grafana")
    assert prometheus["metadata"]["confidence"] >= 0.8
    assert grafana["url"] == "http://dashboards.monitoring.svc:3000"
    decoy = [name for name in await monitoring(url) if "prometheus-notes" in name]
    assert decoy == [], "a name is no evidence"

    # Grafana is registered (its in-cluster URL does not resolve here: REGISTERED).
    registered = await data(
        url,
        REGISTER,
        {
            "input": {
                "connectionId": grafana["id"],
                "credential": {"type": "api_token", "data": {"token": "t"}},
            }
        },
    )
    assert registered["registerConnection"]["connection"]["status"] == "REGISTERED"

    prom_service = cluster.get_object("v1", "Service", "metrics-store", "monitoring")
    grafana_service = cluster.get_object("v1", "Service", "dashboards", "monitoring")
    cluster.delete_object("v1", "Service", "metrics-store", "monitoring")
    cluster.delete_object("v1", "Service", "dashboards", "monitoring")

    async def prometheus_gone() -> bool:
        return (await monitoring(url))["metrics-store.monitoring"]["status"] == "NOT_FOUND"

    await eventually(prometheus_gone, what="the vanished Prometheus to be NOT_FOUND")
    assert (await monitoring(url))["dashboards.monitoring"]["status"] == "REGISTERED"

    cluster.create_object(recreatable(prom_service))
    cluster.create_object(recreatable(grafana_service))

    async def prometheus_back() -> bool:
        return (await monitoring(url))["metrics-store.monitoring"]["status"] == "DISCOVERED"

    await eventually(prometheus_back, what="the returning Prometheus to be DISCOVERED again")
    again = await monitoring(url)
    assert again["metrics-store.monitoring"]["id"] == prometheus["id"], "same service, same row"
    assert again["dashboards.monitoring"]["id"] == grafana["id"]
    assert len(again) == 2
