"""Kubernetes connections and the sync: command-line contexts become connections, two
connections to one cluster share its inventory, a credential that stops working sends
the connection back to REGISTERED, and CONNECTED connections reconnect on restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from graphql_server.components import sync_component
from graphql_server.settings import Settings
from graphql_server.simulator import RunningSimulator, SimulatedCluster
from tests.conftest import RunningServer, free_port, serving
from tests.connections.conftest import SIM_TOKEN
from tests.connections.gql import (
    CONNECTIONS,
    DELETE,
    EVENTS,
    REGISTER,
    TRANSITION,
    eventually,
    node,
)
from tests.helpers import data, post

CLUSTER_IDS = "{ clusters { id sync { phase } } }"


async def kubernetes_connections(url: str) -> list[dict[str, Any]]:
    result = await data(url, CONNECTIONS, {"filter": {"kinds": ["kubernetes"]}})
    return [edge["node"] for edge in result["connections"]["edges"]]


async def phases(url: str) -> dict[str, str]:
    return {c["id"]: c["sync"]["phase"] for c in (await data(url, CLUSTER_IDS))["clusters"]}


async def register_token(url: str, running: RunningSimulator, name: str, token: str) -> str:
    result = await data(
        url,
        REGISTER,
        {
            "input": {
                "kind": "kubernetes",
                "name": name,
                "credential": {"type": "token", "data": {"server": running.url, "token": token}},
            }
        },
    )
    return str(result["registerConnection"]["connection"]["id"])


async def test_command_line_contexts_become_connections(
    database_url: str, tmp_path: Path, simulated: RunningSimulator
) -> None:
    other = SimulatedCluster("other", seed=2)
    other.seed_objects(40)
    async with other.serving() as running_other:
        kubeconfig = simulated.write_kubeconfig(tmp_path / "kubeconfig", "sim")
        running_other.write_kubeconfig(kubeconfig, "other", merge=True)
        settings = Settings(
            database_url=database_url,
            data_dir=tmp_path,
            port=free_port(),
            kubeconfig=kubeconfig,
            contexts=("sim",),
        )
        async with serving(settings, components=(sync_component(settings),)) as server:

            async def both() -> list[dict[str, Any]]:
                found = await kubernetes_connections(server.graphql)
                return found if {c["status"] for c in found} == {"CONNECTED", "DISCOVERED"} else []

            found = {c["name"]: c for c in await eventually(both, what="two connections")}
            assert found["sim"]["status"] == "CONNECTED"
            assert found["sim"]["clusterId"] == simulated.cluster.uid
            assert found["sim"]["url"] == simulated.url
            assert found["other"]["status"] == "DISCOVERED"
            assert found["other"]["url"] == running_other.url

            # The discovered context registers from the file the operator gave.
            registered = await data(
                server.graphql, REGISTER, {"input": {"connectionId": found["other"]["id"]}}
            )
            other_connection = registered["registerConnection"]["connection"]
            assert other_connection["status"] == "CONNECTED"

            async def synced() -> bool:
                return (await node(server.graphql, found["other"]["id"]))["clusterId"] == (
                    other.uid
                )

            await eventually(synced, what="the second context to sync")


async def test_two_connections_to_one_cluster_share_its_inventory(
    sync_server: RunningServer, simulated: RunningSimulator
) -> None:
    url = sync_server.graphql
    first = await register_token(url, simulated, "first", SIM_TOKEN)
    kubeconfig = simulated.kubeconfig("sim-context")
    result = await data(
        url,
        REGISTER,
        {
            "input": {
                "kind": "kubernetes",
                "name": "second",
                "credential": {
                    "type": "kubeconfig",
                    "data": {"kubeconfig": orjson.dumps(kubeconfig).decode()},
                },
            }
        },
    )
    second = result["registerConnection"]["connection"]["id"]
    uid = simulated.cluster.uid

    async def both_bound() -> bool:
        ids = [(await node(url, c))["clusterId"] for c in (first, second)]
        return ids == [uid, uid]

    await eventually(both_bound, what="both connections to reach the cluster")

    async def synced() -> bool:
        return (await phases(url)).get(uid) == "SYNCED"

    await eventually(synced, what="the cluster to be synced")

    await data(url, TRANSITION, {"id": first, "status": "DISCONNECTED"})
    await data(url, DELETE, {"id": first})

    async def messages() -> list[str]:
        log = await data(url, EVENTS, {"filter": {"subjectIds": [first]}, "first": 50})
        return [e["node"]["message"] for e in log["events"]["edges"]]

    async def kept_message() -> bool:
        return any("kept the inventory" in m for m in await messages())

    await eventually(kept_message, what="the purge to be declined")
    assert not any("stopped syncing" in m for m in await messages()), "still synced for second"
    assert (await phases(url)).get(uid) == "SYNCED"

    await data(url, DELETE, {"id": second})

    async def purged() -> bool:
        return uid not in await phases(url)

    await eventually(purged, what="the inventory to go with the last connection")


async def test_a_revoked_token_sends_the_connection_back_to_registered(
    database_url: str, tmp_path: Path, simulated: RunningSimulator
) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, port=free_port())
    async with serving(settings, components=(sync_component(settings),)) as server:
        url = server.graphql
        connection_id = await register_token(url, simulated, "sim", SIM_TOKEN)
        await eventually(lambda: _cluster_known(url, connection_id), what="the first sync")
    simulated.cluster.token = "rotated-token-0c4f"  # the cluster no longer accepts it
    async with serving(settings, components=(sync_component(settings),)) as server:
        url = server.graphql

        async def demoted() -> bool:
            return (await node(url, connection_id))["status"] == "REGISTERED"

        await eventually(demoted, what="the connection to go back to REGISTERED")
        assert (await node(url, connection_id))["metadata"]["lastSyncError"] == "Unauthorized"
        errors = await data(
            url,
            EVENTS,
            {"filter": {"subjectIds": [connection_id], "severities": ["ERROR"]}, "first": 10},
        )
        assert errors["events"]["edges"][0]["node"]["category"] == "sync_error"
        _status, body = await post(url, TRANSITION, {"id": connection_id, "status": "CONNECTED"})
        assert body["errors"][0]["extensions"]["code"] == "CONNECTIVITY_FAILED"
        assert (await node(url, connection_id))["status"] == "REGISTERED"


async def test_connected_connections_reconnect_after_a_restart(
    database_url: str, tmp_path: Path, simulated: RunningSimulator
) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, port=free_port())
    async with serving(settings, components=(sync_component(settings),)) as server:
        connection_id = await register_token(server.graphql, simulated, "sim", SIM_TOKEN)
        await eventually(lambda: _cluster_known(server.graphql, connection_id), what="a sync")
        server_id = (await node(server.graphql, connection_id))["serverId"]
    uid = simulated.cluster.uid
    async with serving(settings, components=(sync_component(settings),)) as server:
        again = await node(server.graphql, connection_id)
        assert again["serverId"] == server_id, "the server id survives restarts"

        async def resumed() -> bool:
            return (await phases(server.graphql)).get(uid) in {"SYNCING", "SYNCED"}

        await eventually(resumed, what="the sync to resume")
        entries = await data(
            server.graphql, EVENTS, {"filter": {"subjectIds": [connection_id]}, "first": 100}
        )
        syncing = [e["node"] for e in entries["events"]["edges"] if e["node"]["actor"] == "sync"]
        # One connect per start; the second repeats the first, so it may be grouped into it.
        assert sum(e["count"] for e in syncing if "syncing cluster" in e["message"]) == 2


async def _cluster_known(url: str, connection_id: str) -> bool:
    return bool((await node(url, connection_id))["clusterId"])


async def test_a_quick_reconnect_logs_the_stop_before_the_move_back(
    sync_server: RunningServer, simulated: RunningSimulator
) -> None:
    url = sync_server.graphql
    first = await register_token(url, simulated, "quick", SIM_TOKEN)
    uid = simulated.cluster.uid

    async def synced() -> bool:
        return (await phases(url)).get(uid) == "SYNCED"

    await eventually(synced, what="the cluster to be synced")
    await data(url, TRANSITION, {"id": first, "status": "DISCONNECTED"})
    await data(url, TRANSITION, {"id": first, "status": "CONNECTED"})

    async def messages() -> list[str]:
        log = await data(url, EVENTS, {"filter": {"subjectIds": [first]}, "first": 50})
        return [e["node"]["message"] for e in reversed(log["events"]["edges"])]

    async def resynced() -> list[str]:
        found = await messages()
        return found if sum(m.startswith("syncing cluster") for m in found) == 2 else []

    found = await eventually(resynced, what="the connection to sync again")
    stopped = next(i for i, m in enumerate(found) if "stopped syncing" in m)
    back = next(i for i, m in enumerate(found) if "from DISCONNECTED to CONNECTED" in m)
    assert stopped < back, found
    assert (await node(url, first))["status"] == "CONNECTED"
