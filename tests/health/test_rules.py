"""The health loop's rules, one pass at a time: failed tests in a row move a connection
to REGISTERED with one event, a passing test brings it back with one more, tests that
move nothing write no event, and an operator's choice is never undone.

The server runs with a long ``--health-interval`` so that its own loop stays out of
the way; each test drives passes of the same health checks itself
(:meth:`HealthChecks.check_all`), against a real Prometheus and a closed port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.health_checking import HealthChecks, HealthPolicy, watch_verdict
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.connections import Changes
from tests.conftest import RunningServer, free_port, serving
from tests.connections.gql import TRANSITION
from tests.connectivity.conftest import Prometheus
from tests.helpers import data, post

from .conftest import CONNECTION, REGISTER, UPDATE, connection, entries, moves

FAILURES = 3
FULL_TOKEN = "health-full-token-6b1f0e2a9c"
READ_TOKEN = "health-read-token-3d7c5a8e14"


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        port=free_port(),
        health_interval=3600.0,
        health_failures=FAILURES,
    )
    async with serving(settings) as running:
        yield running


def checks(server: RunningServer, history: int = 20) -> HealthChecks:
    services = server.services
    policy = HealthPolicy(interval=3600.0, failures=FAILURES, history=history)
    return HealthChecks(services.store, services.broker, policy)


async def _register(url: str, prometheus_url: str, name: str = "prom") -> dict[str, Any]:
    form = {"kind": "prometheus", "name": name, "url": prometheus_url}
    registered = await data(url, REGISTER, {"input": form})
    found: dict[str, Any] = registered["registerConnection"]["connection"]
    assert found["status"] == "CONNECTED", found["lastTest"]
    return found


async def _point(url: str, connection_id: str, target: str) -> None:
    await data(url, UPDATE, {"id": connection_id, "input": {"url": target}})


async def _move(url: str, connection_id: str, status: str) -> None:
    await data(url, TRANSITION, {"id": connection_id, "status": status})


async def test_failed_tests_in_a_row_move_once_and_a_passing_test_moves_back(
    server: RunningServer, prometheus: Prometheus, closed_url: str
) -> None:
    url = server.graphql
    health = checks(server, history=4)
    prom = await _register(url, prometheus.url)
    assert prom["health"]["status"] == "HEALTHY"  # the registration's passing test
    await _point(url, prom["id"], closed_url)
    before = await entries(url, prom["id"])

    for _ in range(FAILURES - 1):
        assert await health.check_all() == 1
    found = await connection(url, prom["id"])
    assert found["status"] == "CONNECTED"
    assert found["health"]["status"] == "FAILING"
    assert found["health"]["consecutiveFailures"] == FAILURES - 1
    assert found["health"]["lastTest"]["ok"] is False
    assert "cannot connect to 127.0.0.1" in found["health"]["lastTest"]["message"]
    assert await entries(url, prom["id"]) == before, "a failed test that moves nothing logs nothing"

    await health.check_all()
    found = await connection(url, prom["id"])
    assert found["status"] == "REGISTERED"
    assert found["health"]["status"] == "UNHEALTHY"
    assert found["health"]["movedByServer"] is True
    (moved,) = await moves(url, prom["id"])
    assert moved["actor"] == "health"
    assert moved["severity"] == "WARNING"
    assert "moved from CONNECTED to REGISTERED" in moved["message"]
    assert f"{FAILURES} health tests failed in a row" in moved["message"]
    assert "cannot connect to 127.0.0.1" in moved["message"]
    assert moved["probableCause"]
    assert moved["suggestedFix"]

    for _ in range(4):  # still failing: tested, recorded, never logged again
        await health.check_all()
    found = await connection(url, prom["id"])
    assert found["status"] == "REGISTERED"
    assert found["health"]["consecutiveFailures"] == FAILURES + 4
    assert len(found["health"]["history"]) == 4, "the history is bounded"
    assert await entries(url, prom["id"]) == before + 1

    await _point(url, prom["id"], prometheus.url)
    before = await entries(url, prom["id"])
    await health.check_all()
    found = await connection(url, prom["id"])
    assert found["status"] == "CONNECTED"
    assert found["health"]["status"] == "HEALTHY"
    assert found["health"]["movedByServer"] is False
    assert found["health"]["consecutiveFailures"] == 0
    recovered, _ = await moves(url, prom["id"])
    assert recovered["severity"] == "SUCCESS"
    assert "moved from REGISTERED to CONNECTED" in recovered["message"]
    for _ in range(3):
        await health.check_all()
    assert await entries(url, prom["id"]) == before + 1
    assert len(await moves(url, prom["id"])) == 2


async def test_an_operator_move_is_never_undone(
    server: RunningServer, prometheus: Prometheus, closed_url: str
) -> None:
    url = server.graphql
    health = checks(server)
    prom = await _register(url, prometheus.url)

    # Moved to REGISTERED by an operator while it passes: not tested, not moved back.
    await _move(url, prom["id"], "REGISTERED")
    for _ in range(3):
        assert await health.check_all() == 0
    found = await connection(url, prom["id"])
    assert (found["status"], found["health"]["movedByServer"]) == ("REGISTERED", False)
    assert len(await moves(url, prom["id"])) == 1

    # Reconnected by the operator, then moved by the server ...
    await _move(url, prom["id"], "CONNECTED")
    await _point(url, prom["id"], closed_url)
    for _ in range(FAILURES):
        await health.check_all()
    assert (await connection(url, prom["id"]))["health"]["movedByServer"] is True
    # ... and parked by the operator: healthy again, it stays where the operator put it.
    await _move(url, prom["id"], "DISCONNECTED")
    await _point(url, prom["id"], prometheus.url)
    for _ in range(2):
        await health.check_all()
    assert (await connection(url, prom["id"]))["status"] == "DISCONNECTED"
    # Back to REGISTERED by the operator: the server's move is forgotten.
    await _move(url, prom["id"], "REGISTERED")
    for _ in range(2):
        await health.check_all()
    found = await connection(url, prom["id"])
    assert (found["status"], found["health"]["movedByServer"]) == ("REGISTERED", False)


async def test_a_connection_whose_test_cannot_run_stops_no_other(
    server: RunningServer, prometheus: Prometheus
) -> None:
    url = server.graphql
    store = server.services.store
    broken = await store.connections.create(
        kind="prometheus",
        name="aaa broken",
        status=ConnectionStatus.CONNECTED,
        url="http://metrics.monitoring.svc:9090",
        metadata={"reach": "CLUSTER_PROXY"},  # no cluster, namespace or service known
    )
    prom = await _register(url, prometheus.url, name="zzz prom")
    assert await checks(server).check_all() == 1
    assert (await connection(url, prom["id"]))["health"]["lastTest"]["ok"] is True
    assert (await connection(url, broken.id))["status"] == "CONNECTED"


async def test_read_only_callers_see_whether_tests_passed_not_what_they_found(
    database_url: str, tmp_path: Path, prometheus: Prometheus, closed_url: str
) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        port=free_port(),
        health_interval=3600.0,
        auth_token=FULL_TOKEN,
        read_token=READ_TOKEN,
    )
    async with serving(settings) as running:
        url = running.graphql
        full = {"authorization": f"Bearer {FULL_TOKEN}"}
        form = {"kind": "prometheus", "name": "prom", "url": prometheus.url}
        status, body = await post(url, REGISTER, {"input": form}, headers=full)
        assert status == 200, body
        assert "errors" not in body, body
        connection_id = body["data"]["registerConnection"]["connection"]["id"]
        moved = {"id": connection_id, "input": {"url": closed_url}}
        status, body = await post(url, UPDATE, moved, headers=full)
        assert status == 200, body
        assert "errors" not in body, body
        for _ in range(FAILURES):
            await checks(running).check_all()
        status, body = await post(url, CONNECTION, {"id": connection_id}, headers=full)
        assert "cannot connect" in body["data"]["connection"]["health"]["lastTest"]["message"]
        read = {"authorization": f"Bearer {READ_TOKEN}"}
        status, body = await post(url, CONNECTION, {"id": connection_id}, headers=read)
        assert status == 200, body
        assert "errors" not in body, body
        shown = body["data"]["connection"]
        assert shown["health"]["lastTest"]["message"] == "unreachable"
        history = [t["message"] for t in shown["health"]["history"]]
        assert history == ["unreachable"] * FAILURES + ["reachable"]  # newest first
        assert "health" not in shown["metadata"]
        assert "healthMove" not in shown["metadata"]
        assert "127.0.0.1" not in str(shown)


async def test_kubernetes_connections_count_their_watch_streams(store: Store) -> None:
    record = await store.connections.create(
        kind="kubernetes",
        name="cluster",
        status=ConnectionStatus.CONNECTED,
        url="https://127.0.0.1:6443",
        cluster_id="cluster-uid-1",
    )
    assert await watch_verdict(store, record, None) is None, "nothing to judge yet"

    def kind(name: str, phase: str, error: str | None = None) -> dict[str, Any]:
        return {
            "cluster_id": "cluster-uid-1",
            "resource_type": name,
            "api_version": "v1",
            "kind": name.capitalize(),
            "phase": phase,
            "resource_count": 1,
            "last_event_at": datetime.now(UTC),
            "last_error": error,
        }

    await store.clusters.save_kinds(
        [kind("pods", "DEGRADED", "watch failed: 500"), kind("services", "SYNCED")]
    )
    passed = await watch_verdict(store, record, None)
    assert passed is not None
    assert passed.ok
    assert "1 of 2 watch streams" in passed.message
    await store.clusters.save_kinds([kind("services", "DEGRADED", "watch failed: 500")])
    failed = await watch_verdict(store, record, None)
    assert failed is not None
    assert not failed.ok
    assert "every watch stream of cluster cluster-uid-1 fails: watch failed: 500" in failed.message

    # The sync cannot reach the cluster at all: that is the test's outcome too.
    await store.clusters.save_kinds([kind("pods", "SYNCED"), kind("services", "SYNCED")])
    assert (await watch_verdict(store, record, None)).ok  # type: ignore[union-attr]
    source = {"name": "cluster", "healthy": False, "error": "connection refused"}
    unreachable = await watch_verdict(store, record, lambda: [source])
    assert unreachable is not None
    assert not unreachable.ok
    assert "the sync cannot reach the cluster: connection refused" in unreachable.message


async def test_health_writes_never_undo_a_concurrent_change(store: Store) -> None:
    record = await store.connections.create(
        kind="prometheus",
        name="prom",
        status=ConnectionStatus.CONNECTED,
        url="http://127.0.0.1:9090",
        metadata={"team": "a"},
    )
    fresh = await store.connections.merge_metadata(record, {"health": {"status": "healthy"}})
    assert fresh.metadata == {"team": "a", "health": {"status": "healthy"}}
    again = await store.connections.merge_metadata(fresh, {"health": {"status": "failing"}})
    assert again.metadata["health"] == {"status": "failing"}
    # Changed by someone else since ``again`` was read: merged into the new metadata.
    await store.connections.update(record.id, Changes(merge_metadata={"team": "b"}))
    merged = await store.connections.merge_metadata(again, {"health": {"status": "unhealthy"}})
    stored = await store.connections.get(record.id)
    assert stored is not None
    assert merged.metadata == stored.metadata == {"team": "b", "health": {"status": "unhealthy"}}
