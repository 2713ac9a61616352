"""The connection lifecycle over GraphQL: every move of the table, legal or not, and
concurrent moves of one connection."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

from graphql_server.lifecycle import TRANSITIONS, ConnectionStatus
from tests.conftest import RunningServer
from tests.connectivity.servers import GRAFANA_TOKEN
from tests.helpers import data, post

from .gql import CREATE_CREDENTIAL, EVENTS, TRANSITION, codes, node

S = ConnectionStatus
# The table as the product promises it (DESIGN.md section 5, plus the edges that keep
# connections from getting stuck); written out so a change to the code is a decision.
EXPECTED = {
    "DISCOVERED": {"REGISTERED", "CONNECTED", "IGNORED", "NOT_FOUND", "DELETED"},
    "REGISTERED": {"CONNECTED", "IGNORED", "NOT_FOUND", "DISCONNECTED", "DELETED"},
    "CONNECTED": {"DISCONNECTED", "REGISTERED", "MAINTENANCE", "IGNORED", "NOT_FOUND", "DELETED"},
    "IGNORED": {"REGISTERED", "CONNECTED", "DELETED"},
    "MAINTENANCE": {"CONNECTED", "DISCONNECTED", "DELETED"},
    "DISCONNECTED": {"CONNECTED", "REGISTERED", "IGNORED", "NOT_FOUND", "DELETED"},
    "NOT_FOUND": {"DISCOVERED", "REGISTERED", "CONNECTED", "DELETED"},
    "DELETED": set(),
}


def path_to(target: str) -> list[str]:
    """The shortest list of moves from DISCOVERED to ``target``."""
    routes: dict[str, list[str]] = {"DISCOVERED": []}
    frontier = ["DISCOVERED"]
    while frontier:
        current = frontier.pop(0)
        for step in sorted(EXPECTED[current]):
            if step not in routes:
                routes[step] = [*routes[current], step]
                frontier.append(step)
    return routes[target]


async def grafana_connection(server: RunningServer, grafana_url: str, name: str) -> str:
    """A DISCOVERED Grafana connection with a working credential."""
    credential = await data(
        server.graphql,
        CREATE_CREDENTIAL,
        {
            "input": {
                "name": f"token for {name}",
                "kind": "grafana",
                "type": "api_token",
                "data": {"token": GRAFANA_TOKEN},
            }
        },
    )
    record = await server.services.store.connections.create(
        kind="grafana",
        name=name,
        url=grafana_url,
        status=S.DISCOVERED,
        credential_id=credential["createCredential"]["id"],
    )
    return record.id


async def move(server: RunningServer, connection_id: str, status: str) -> Any:
    return await post(server.graphql, TRANSITION, {"id": connection_id, "status": status})


async def status_changes(server: RunningServer, connection_id: str) -> list[dict[str, Any]]:
    result = await data(
        server.graphql,
        EVENTS,
        {"filter": {"subjectIds": [connection_id], "categories": ["status_change"]}, "first": 500},
    )
    return [edge["node"] for edge in result["events"]["edges"]]


def test_the_table_is_the_lifecycle() -> None:
    assert {s.name: {t.name for t in TRANSITIONS[s]} for s in S} == EXPECTED


async def test_every_move_of_the_table_over_graphql(
    server: RunningServer, grafana_url: str
) -> None:
    for source in EXPECTED:
        for target in EXPECTED:
            connection_id = await grafana_connection(server, grafana_url, f"{source}->{target}")
            for step in path_to(source):
                _status, body = await move(server, connection_id, step)
                assert "errors" not in body, (source, step, body)
            before = await node(server.graphql, connection_id)
            assert before["status"] == source
            assert set(before["allowedTransitions"]) == EXPECTED[source]
            logged = len(await status_changes(server, connection_id))
            _status, body = await move(server, connection_id, target)
            after = await node(server.graphql, connection_id)
            changes = await status_changes(server, connection_id)
            if target == source:
                assert "errors" not in body, body
                assert after["status"] == source
                assert len(changes) == logged, "a no-op must not be logged as a move"
            elif target in EXPECTED[source]:
                assert "errors" not in body, (source, target, body)
                assert body["data"]["transitionConnection"]["status"] == target
                assert after["status"] == target
                assert set(after["allowedTransitions"]) == EXPECTED[target]
                assert len(changes) == logged + 1
                assert changes[0]["details"] == {
                    "kind": "grafana",
                    "from": S[source].value,
                    "to": S[target].value,
                }
            else:
                assert [e["extensions"]["code"] for e in body["errors"]] == [
                    "INVALID_TRANSITION"
                ], (source, target, body)
                assert source in body["errors"][0]["message"]
                assert after["status"] == source, "a refused move must change nothing"
                assert after == before
                assert len(changes) == logged


async def test_connecting_needs_a_passing_connectivity_test(
    server: RunningServer, grafana_url: str
) -> None:
    store = server.services.store
    credential = await store.credentials.create(
        name="revoked", kind="grafana", type="api_token", data={"token": "revoked-token-1"}
    )
    record = await store.connections.create(
        kind="grafana",
        name="grafana",
        url=grafana_url,
        status=S.REGISTERED,
        credential_id=credential.id,
    )
    assert await codes(server.graphql, TRANSITION, {"id": record.id, "status": "CONNECTED"}) == [
        "CONNECTIVITY_FAILED"
    ]
    after = await node(server.graphql, record.id)
    assert after["status"] == "REGISTERED"
    assert after["lastTest"]["ok"] is False
    assert "401" in after["lastTest"]["message"]


async def test_unknown_connection_and_status(server: RunningServer) -> None:
    assert await codes(server.graphql, TRANSITION, {"id": "nope", "status": "CONNECTED"}) == [
        "NOT_FOUND"
    ]
    _status, body = await move(server, "nope", "SIDEWAYS")
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


def degrees_chain(moves: list[tuple[str, str]], start: str, end: str) -> bool:
    """True when the moves can be ordered into one walk from ``start`` to ``end``."""
    balance: Counter[str] = Counter()
    for source, target in moves:
        balance[source] += 1
        balance[target] -= 1
    if start != end:
        balance[start] -= 1
        balance[end] += 1
    return all(value == 0 for value in balance.values())


async def test_concurrent_moves_never_leave_the_table(
    server: RunningServer, grafana_url: str
) -> None:
    connection_id = await grafana_connection(server, grafana_url, "contended")
    rng = random.Random(7)
    candidates = [s.name for s in S if s is not S.DELETED]
    for _round in range(3):
        wanted = [rng.choice(candidates) for _ in range(40)]
        replies = await asyncio.gather(*(move(server, connection_id, w) for w in wanted))
        for target, (status, body) in zip(wanted, replies, strict=True):
            assert status == 200
            if "errors" in body:
                assert body["errors"][0]["extensions"]["code"] in {
                    "INVALID_TRANSITION",
                    "CONFLICT",
                }, body
            else:
                assert body["data"]["transitionConnection"]["status"] == target
    final = (await node(server.graphql, connection_id))["status"]
    changes = await status_changes(server, connection_id)
    moves = [(S(e["details"]["from"]).name, S(e["details"]["to"]).name) for e in changes]
    assert moves, "some moves must have succeeded"
    for source, target in moves:
        assert target in EXPECTED[source], f"illegal move {source} -> {target} was applied"
    assert degrees_chain(moves, "DISCOVERED", final), moves
