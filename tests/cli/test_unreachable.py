"""A cluster that cannot be reached is visible from the first failed attempt: on its
connection (last test, when), once in the event log however often it is retried, and
in ``/readyz``'s report while the server stays ready."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from graphql_server.simulator import SimulatedCluster, kubeconfig_dict
from tests.cli.commands import background
from tests.conftest import free_port

CONNECTIONS = """{ connections(filter: {kinds: ["kubernetes"]}) { edges { node {
  id name status url lastTest { ok message testedAt details } } } } }"""
EVENTS = """query ($id: ID!) { events(filter: {subjectIds: [$id]}) { edges { node {
  category severity message } } } }"""


async def _query(base: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/graphql", json={"query": query, "variables": variables}) as r,
    ):
        body = await r.json()
    assert "errors" not in body, body
    return body["data"]


async def _tested(base: str, after: str | None, within: float) -> dict[str, Any]:
    """The connection once its last test is newer than ``after``."""
    deadline = time.monotonic() + within
    while True:
        edges = (await _query(base, CONNECTIONS))["connections"]["edges"]
        nodes = [e["node"] for e in edges]
        tested = [n for n in nodes if n["lastTest"] and n["lastTest"]["testedAt"] != after]
        if tested:
            return dict(tested[0])
        assert time.monotonic() < deadline, nodes
        await asyncio.sleep(0.2)


@pytest.fixture
async def locked() -> AsyncIterator[str]:
    """A cluster that refuses every token but its own."""
    cluster = SimulatedCluster("locked", seed=3, token="the-right-token")
    cluster.seed_objects(10)
    async with cluster.serving() as running:
        yield running.url


@pytest.fixture
def silent() -> Iterator[str]:
    """A cluster address that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("reason", ["unreachable", "unauthorized", "timeout"])
async def test_an_unreachable_cluster_is_reported_at_once(
    tmp_path: Path, reason: str, locked: str, silent: str
) -> None:
    server = {"unreachable": "https://127.0.0.1:1", "unauthorized": locked, "timeout": silent}[
        reason
    ]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps(kubeconfig_dict(server, "faraway", token="a-wrong-token")))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--kubeconfig", str(kubeconfig), "--port", str(port)]
    started = time.monotonic()
    with background(*args, "--data-dir", str(tmp_path / "d"), log=tmp_path / "serve.log") as s:
        await s.shows("serving GraphQL at", within=30)
        first = await _tested(base, None, within=30 - (time.monotonic() - started))
        assert first["name"] == "faraway"
        assert first["url"] == server
        assert first["lastTest"]["ok"] is False
        assert "cannot connect context 'faraway'" in first["lastTest"]["message"]
        assert "a-wrong-token" not in json.dumps(first)
        assert first["lastTest"]["details"]["reason"] == reason
        if reason != "timeout":  # (a timed-out attempt takes IDENTIFY_TIMEOUT)
            # Retried (with backoff): a newer attempt, and still one event-log entry.
            again = await _tested(base, first["lastTest"]["testedAt"], within=15)
            assert again["lastTest"]["ok"] is False
        events = await _query(base, EVENTS, {"id": first["id"]})
        failures = [
            e["node"] for e in events["events"]["edges"] if e["node"]["category"] == "sync_error"
        ]
        assert len(failures) == 1, events
        assert failures[0]["severity"] == "WARNING"
        assert f"cannot connect 'faraway' at {server}" in failures[0]["message"]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base}/readyz") as response,
        ):
            assert response.status == 200
            ready = await response.json()
        assert ready["ready"] is True
        assert ready["unhealthy"] == ["faraway"]
        (source,) = ready["sources"]
        assert source["healthy"] is False
        assert source["reason"] == reason
        assert source["error"]
        assert source["triedAt"] >= source["since"]
        s.stop()
