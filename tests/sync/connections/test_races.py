"""Transitions with side effects racing each other and the sync side, on both databases.

Moves that start and stop a cluster's sync, deletions that purge its inventory, and the
sync's own move of a connection whose token stopped working, all at once. Whatever the
interleaving, once things settle: every applied move is in the table, a cluster is
synced exactly when a connection to it is CONNECTED, and its inventory is purged
exactly when no connection refers to it any more.
"""

from __future__ import annotations

import asyncio
import random

from graphql_server.lifecycle import TRANSITIONS, ConnectionStatus
from graphql_server.simulator import RunningSimulator
from graphql_server.store.resources import ResourceQuery
from tests.conftest import RunningServer
from tests.connections.conftest import SIM_TOKEN
from tests.connections.gql import DELETE, EVENTS, TRANSITION, eventually, node
from tests.helpers import data, post
from tests.sync.connections.test_lifecycle import phases, register_token

SYNCING = {"SYNCING", "SYNCED", "DEGRADED"}


async def _settled(url: str, connection_ids: list[str], uid: str) -> dict[str, str]:
    """Wait until the sync agrees with the stored statuses; returns those statuses."""

    async def agreed() -> dict[str, str] | None:
        statuses = {c: (await node(url, c))["status"] for c in connection_ids}
        synced = (await phases(url)).get(uid) in SYNCING
        return statuses if synced == ("CONNECTED" in statuses.values()) else None

    found: dict[str, str] = await eventually(agreed, within=30, what="the sync to follow")
    # And it stays that way (nothing still in flight flips a status): checked again
    # later, once the sync agrees again (a restart of its watches may be in between).
    await asyncio.sleep(0.5)  # lets in-flight commands land on purpose before re-checking
    again: dict[str, str] = await eventually(agreed, within=30, what="the sync to agree again")
    assert again == found, (found, again)
    return found


async def _legal_moves(url: str, connection_id: str) -> list[tuple[str, str]]:
    log = await data(
        url,
        EVENTS,
        {"filter": {"subjectIds": [connection_id], "categories": ["status_change"]}, "first": 500},
    )
    moves = []
    for edge in log["events"]["edges"]:
        details = edge["node"]["details"]
        source, target = ConnectionStatus(details["from"]), ConnectionStatus(details["to"])
        assert target in TRANSITIONS[source], f"illegal move {source.name} -> {target.name}"
        moves.append((source.name, target.name))
    return moves


async def test_racing_transitions_and_purges_of_one_cluster(
    sync_server: RunningServer, simulated: RunningSimulator
) -> None:
    url = sync_server.graphql
    uid = simulated.cluster.uid
    first = await register_token(url, simulated, "first", SIM_TOKEN)
    second = await register_token(url, simulated, "second", SIM_TOKEN)
    await _settled(url, [first, second], uid)
    rng = random.Random(3)
    targets = ["CONNECTED", "DISCONNECTED", "MAINTENANCE", "REGISTERED"]
    for _ in range(3):
        moves = [(rng.choice([first, second]), rng.choice(targets)) for _ in range(12)]
        replies = await asyncio.gather(
            *(post(url, TRANSITION, {"id": c, "status": t}) for c, t in moves)
        )
        for status, body in replies:
            assert status == 200
            for error in body.get("errors") or ():
                assert error["extensions"]["code"] in {"INVALID_TRANSITION", "CONFLICT"}, body
        await _settled(url, [first, second], uid)
    # Both deleted while one is also asked to connect: the inventory goes, exactly once.
    await asyncio.gather(
        post(url, DELETE, {"id": first}),
        post(url, TRANSITION, {"id": second, "status": "CONNECTED"}),
        post(url, DELETE, {"id": second}),
    )

    async def purged() -> bool:
        return uid not in await phases(url)

    await eventually(purged, within=30, what="the inventory to be purged")
    store = sync_server.services.store
    assert await store.resources.count(ResourceQuery(cluster_ids=(uid,))) == 0
    for connection_id in (first, second):
        moves = await _legal_moves(url, connection_id)
        assert moves[0][1] == "DELETED", moves  # newest first


async def test_a_revoked_token_races_the_operators_moves(
    sync_server: RunningServer, simulated: RunningSimulator
) -> None:
    url = sync_server.graphql
    uid = simulated.cluster.uid
    connection_id = await register_token(url, simulated, "sim", SIM_TOKEN)
    await _settled(url, [connection_id], uid)
    rng = random.Random(5)
    outcomes: list[str] = []
    for _ in range(4):
        simulated.cluster.token = SIM_TOKEN
        if (await node(url, connection_id))["status"] != "DISCONNECTED":
            await post(url, TRANSITION, {"id": connection_id, "status": "DISCONNECTED"})
        await data(url, TRANSITION, {"id": connection_id, "status": "CONNECTED"})
        # The sync starts connecting; the token is revoked under it (it gives the
        # connection back to REGISTERED) while the operator moves it elsewhere.
        simulated.cluster.token = "revoked-token-77e1"
        simulated.cluster.drop_watches()
        target = rng.choice(["MAINTENANCE", "DISCONNECTED", "REGISTERED"])
        status, body = await post(url, TRANSITION, {"id": connection_id, "status": target})
        assert status == 200
        for error in body.get("errors") or ():
            assert error["extensions"]["code"] in {"INVALID_TRANSITION", "CONFLICT"}, body
        outcomes.append((await _settled(url, [connection_id], uid))[connection_id])
    assert "CONNECTED" not in outcomes, outcomes  # a revoked token never stays synced
    assert len(await _legal_moves(url, connection_id)) >= 8
