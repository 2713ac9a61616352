"""One operator's journey, all through GraphQL: connect the simulated cluster, register
the Prometheus discovered in it, pick metrics, give two connections one credential at
once, group them in an environment, then disconnect and delete."""

from __future__ import annotations

from typing import Any

from graphql_server.simulator import RunningSimulator
from tests.conftest import RunningServer
from tests.connectivity.conftest import PROM_PASSWORD, PROM_USER, Prometheus
from tests.helpers import data

from .conftest import SIM_TOKEN
from .gql import (
    ASSIGN_CREDENTIAL,
    CONNECTIONS,
    CREATE_CREDENTIAL,
    DELETE,
    EVENTS,
    REGISTER,
    TRANSITION,
    eventually,
    node,
)

CLUSTERS = "{ clusters { id name sync { phase resourceCount } } }"
RESOURCES = """
query ($clusterIds: [ID!]) {
  resources(filter: {clusterIds: $clusterIds}, first: 1) { totalCount }
}
"""


async def connections(url: str, **filter: Any) -> list[dict[str, Any]]:
    result = await data(url, CONNECTIONS, {"filter": filter, "first": 100})
    return [edge["node"] for edge in result["connections"]["edges"]]


async def cluster_phase(url: str, cluster_id: str) -> str | None:
    clusters = (await data(url, CLUSTERS))["clusters"]
    return next((c["sync"]["phase"] for c in clusters if c["id"] == cluster_id), None)


async def resource_count(url: str, cluster_id: str) -> int:
    result = await data(url, RESOURCES, {"clusterIds": [cluster_id]})
    return int(result["resources"]["totalCount"])


async def test_discover_register_group_disconnect_and_delete(
    sync_server: RunningServer, simulated: RunningSimulator, prometheus_basic: Prometheus
) -> None:
    url = sync_server.graphql

    # The cluster, registered with a bearer token, connects and syncs.
    registered = await data(
        url,
        REGISTER,
        {
            "input": {
                "kind": "kubernetes",
                "name": "simulated",
                "credential": {
                    "type": "token",
                    "name": "sim token",
                    "data": {"server": simulated.url, "token": SIM_TOKEN},
                },
            }
        },
    )
    cluster = registered["registerConnection"]["connection"]
    assert cluster["status"] == "CONNECTED"

    async def cluster_id_known() -> str | None:
        return (await node(url, cluster["id"]))["clusterId"]

    cluster_id = await eventually(cluster_id_known, what="the sync to record the cluster id")
    assert cluster_id == simulated.cluster.uid
    await eventually(lambda: _phase_is(url, cluster_id, "SYNCED"), what="the cluster to be synced")

    async def stored() -> bool:
        return await resource_count(url, cluster_id) > 100

    await eventually(stored, what="the cluster's objects to be stored")

    # The Prometheus and Grafana running in it are discovered from its objects.
    async def discovered() -> list[dict[str, Any]]:
        found = await connections(url, kinds=["prometheus", "grafana"], statuses=["DISCOVERED"])
        return found if len(found) == 2 else []

    found = {c["kind"]: c for c in await eventually(discovered, what="monitoring discovery")}
    prom = found["prometheus"]
    assert prom["name"] == "metrics-store.monitoring"
    assert prom["url"] == "http://metrics-store.monitoring.svc:9090"
    assert prom["clusterId"] == cluster_id
    assert any("quay.io/prometheus/prometheus" in e for e in prom["metadata"]["evidence"])
    assert found["grafana"]["name"] == "dashboards.monitoring"

    # Register it, picking metrics; the in-cluster DNS name does not resolve from the
    # test, so the registration points it at a real Prometheus (with basic auth).
    metrics = ["up", "prometheus_build_info"]
    result = await data(
        url,
        REGISTER,
        {
            "input": {
                "connectionId": prom["id"],
                "url": prometheus_basic.url,
                "registration": {"metrics": metrics},
            }
        },
    )
    prom = result["registerConnection"]["connection"]
    assert prom["status"] == "REGISTERED", "no credential yet: reachable but unauthorised"
    assert prom["registration"] == {"metrics": metrics}
    second = (
        await data(
            url,
            REGISTER,
            {
                "input": {
                    "kind": "prometheus",
                    "name": "second prometheus",
                    "url": prometheus_basic.url.replace("127.0.0.1", "localhost"),
                }
            },
        )
    )["registerConnection"]["connection"]
    assert second["status"] == "REGISTERED"

    # One credential for both, at once; then both connect.
    credential = (
        await data(
            url,
            CREATE_CREDENTIAL,
            {
                "input": {
                    "name": "prometheus admin",
                    "kind": "prometheus",
                    "type": "basic",
                    "data": {"username": PROM_USER, "password": PROM_PASSWORD},
                }
            },
        )
    )["createCredential"]
    assigned = await data(
        url,
        ASSIGN_CREDENTIAL,
        {"credentialId": credential["id"], "connectionIds": [prom["id"], second["id"]]},
    )
    assert {c["credential"]["id"] for c in assigned["assignCredential"]} == {credential["id"]}
    for connection_id in (prom["id"], second["id"]):
        moved = await data(url, TRANSITION, {"id": connection_id, "status": "CONNECTED"})
        assert moved["transitionConnection"]["status"] == "CONNECTED"
        assert moved["transitionConnection"]["lastTest"]["ok"] is True

    # An environment holding the cluster and both Prometheus connections.
    env = (
        await data(
            url,
            'mutation { createEnvironment(input: {name: "observability"}) { id name } }',
        )
    )["createEnvironment"]
    grouped = await data(
        url,
        """
        mutation ($env: ID!, $ids: [ID!]!) {
          assignConnectionsToEnvironment(environmentId: $env, connectionIds: $ids) {
            name connections { id }
          }
        }
        """,
        {"env": env["id"], "ids": [cluster["id"], prom["id"], second["id"]]},
    )
    members = {c["id"] for c in grouped["assignConnectionsToEnvironment"]["connections"]}
    assert members == {cluster["id"], prom["id"], second["id"]}
    in_env = await connections(url, environmentIds=[env["id"]])
    assert {c["status"] for c in in_env} == {"CONNECTED"}
    assert all(c["environments"] == [{"id": env["id"], "name": "observability"}] for c in in_env)

    # Disconnecting the cluster stops its sync; its inventory stays, marked STOPPED.
    count = await resource_count(url, cluster_id)
    await data(url, TRANSITION, {"id": cluster["id"], "status": "DISCONNECTED"})
    await data(url, TRANSITION, {"id": prom["id"], "status": "DISCONNECTED"})
    await eventually(lambda: _phase_is(url, cluster_id, "STOPPED"), what="the sync to stop")
    assert await resource_count(url, cluster_id) == count

    # Deleting it removes the cluster's inventory (no other connection reaches it).
    deleted = await data(url, DELETE, {"id": cluster["id"]})
    assert deleted["deleteConnection"]["status"] == "DELETED"
    assert deleted["deleteConnection"]["allowedTransitions"] == []
    await data(url, DELETE, {"id": prom["id"]})

    async def purged() -> bool:
        return await cluster_phase(url, cluster_id) is None

    await eventually(purged, what="the cluster's inventory to be removed")
    assert await resource_count(url, cluster_id) == 0
    remaining = await connections(url, environmentIds=[env["id"]])
    assert [c["id"] for c in remaining] == [second["id"]]
    summary = (await data(url, CONNECTIONS, {"first": 1}))["connections"]["statusSummary"]
    assert {s["status"]: s["count"] for s in summary}["DELETED"] == 2

    # Each step is in the event log.
    log = await data(url, EVENTS, {"first": 200})
    categories = {e["node"]["category"] for e in log["events"]["edges"]}
    assert {
        "registration",
        "connectivity_test",
        "status_change",
        "credential",
        "environment",
        "discovery",
        "sync",
    } <= categories
    messages = [e["node"]["message"] for e in log["events"]["edges"]]
    assert any("removed the inventory of cluster" in m for m in messages)


async def _phase_is(url: str, cluster_id: str, phase: str) -> bool:
    return await cluster_phase(url, cluster_id) == phase
