"""Read-only callers learn whether a connection answered, not what its test found:
the messages of connectivity tests tell open from closed ports on the server's
network, which a read token must not be able to map."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.conftest import free_port, serving
from tests.connections.gql import CONNECTION, REGISTER
from tests.helpers import post

FULL, READ = "full-token-read-access", "read-token-read-access"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def closed_prometheus(tmp_path: Path) -> AsyncIterator[tuple[Any, str, str]]:
    """A server with a full and a read token, and a Prometheus registered at a closed
    port: (server, connection id, its URL)."""
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}",
        data_dir=tmp_path,
        port=free_port(),
        auth_token=FULL,
        read_token=READ,
    )
    closed = f"http://127.0.0.1:{free_port()}"
    async with serving(settings, broker=InProcessBroker()) as server:
        status, body = await post(
            server.graphql,
            REGISTER,
            {"input": {"kind": "prometheus", "name": "closed", "url": closed}},
            headers=bearer(FULL),
        )
        assert status == 200, body
        yield server, body["data"]["registerConnection"]["connection"]["id"], closed


async def test_read_only_callers_see_reachability_only(tmp_path: Path) -> None:
    async with closed_prometheus(tmp_path) as (server, connection_id, _):
        full = (
            await post(server.graphql, CONNECTION, {"id": connection_id}, headers=bearer(FULL))
        )[1]["data"]["connection"]["lastTest"]
        read = (
            await post(server.graphql, CONNECTION, {"id": connection_id}, headers=bearer(READ))
        )[1]["data"]["connection"]["lastTest"]
    assert full["ok"] is False
    assert "cannot connect" in full["message"], full
    assert read == {
        "ok": False,
        "status": full["status"],
        "message": "unreachable",
        "serverVersion": None,
    }


EVENTS = """
query ($id: ID!) {
  events(filter: {subjectIds: [$id]}) {
    edges { node { category message details probableCause suggestedFix } }
  }
  connection(id: $id) { events { category message probableCause } }
}
"""


async def test_read_only_callers_see_test_entries_of_the_event_log_as_outcomes(
    tmp_path: Path,
) -> None:
    async with closed_prometheus(tmp_path) as (server, connection_id, closed):
        variables = {"id": connection_id}
        full = (await post(server.graphql, EVENTS, variables, headers=bearer(FULL)))[1]["data"]
        read = (await post(server.graphql, EVENTS, variables, headers=bearer(READ)))[1]["data"]

    def tests(page: dict) -> list[dict]:
        return [
            e["node"]
            for e in page["events"]["edges"]
            if e["node"]["category"] == "connectivity_test"
        ]

    assert tests(full), full
    assert any("cannot connect" in e["message"] for e in tests(full)), full
    assert any(e["probableCause"] for e in tests(full)), full
    assert tests(read)
    for entry in tests(read):
        assert entry["message"].endswith(": unreachable"), entry
        assert closed not in entry["message"]
        assert entry["details"] == {"ok": False}
        assert entry["probableCause"] is None
        assert entry["suggestedFix"] is None
    for entry in read["connection"]["events"]:
        if entry["category"] == "connectivity_test":
            assert "cannot connect" not in entry["message"], entry
            assert entry["probableCause"] is None
