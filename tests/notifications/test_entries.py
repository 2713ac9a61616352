"""What event log entries say: severities, repeats grouped into one entry, and the
probable cause and suggested fix of failed connectivity tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_server.store import Store
from graphql_server.store.connection_models import EventLogEntry
from graphql_server.store.event_log import EventQuery
from tests.conftest import RunningServer
from tests.connections.gql import REGISTER, codes
from tests.connectivity.conftest import Prometheus
from tests.helpers import data
from tests.notifications.gql import EVENTS, MARK_READ, TEST, closed_port, events

TESTS = {"categories": ["connectivity_test"]}


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


async def _test(url: str, target: str) -> dict[str, Any]:
    result = await data(url, TEST, {"input": {"kind": "prometheus", "url": target}})
    return dict(result["testConnection"])


async def test_repeats_are_grouped(server: RunningServer) -> None:
    url = server.graphql
    target = f"http://127.0.0.1:{closed_port()}"
    for _ in range(3):
        assert (await _test(url, target))["ok"] is False
    (entry,) = await events(url, TESTS)
    assert entry["count"] == 3
    assert _parse(entry["firstAt"]) < _parse(entry["lastAt"])
    assert entry["firstAt"] == entry["at"]
    await data(url, MARK_READ, {"ids": [entry["id"]]})
    await _test(url, target)
    (again,) = await events(url, TESTS)
    assert (again["id"], again["count"], again["read"]) == (entry["id"], 4, False)
    assert _parse(again["lastAt"]) > _parse(entry["lastAt"])
    other = f"http://127.0.0.1:{closed_port()}"
    await _test(url, other)
    await _test(url, target)
    grouped = [(e["subjectName"], e["count"]) for e in await events(url, TESTS)]
    assert grouped == [(target, 1), (other, 1), (target, 4)], "only a repeat of the latest"


async def test_grouping_window(store: Store) -> None:
    entry = {
        "severity": "error",
        "actor": "sync",
        "category": "sync_error",
        "subject_type": "cluster",
        "subject_id": "c1",
        "subject_name": "one",
        "message": "sync of cluster 'one' is degraded",
    }
    first = await store.events.add(**entry)
    second = await store.events.add(**entry)
    assert (second.id, second.count) == (first.id, 2)
    old = datetime.now(UTC) - timedelta(hours=2)
    await EventLogEntry.filter(id=first.id).update(last_at=old)
    third = await store.events.add(**entry)
    assert third.id != first.id, "a repeat after the window is new"
    assert third.count == 1
    louder = await store.events.add(**{**entry, "severity": "critical"})
    assert louder.id != third.id, "another severity is another entry"
    assert await store.events.count(EventQuery(severities=("critical",))) == 1


async def test_severities(server: RunningServer, prometheus: Prometheus) -> None:
    url = server.graphql
    assert (await _test(url, prometheus.url))["ok"] is True
    await _test(url, f"http://127.0.0.1:{closed_port()}")
    severities = [e["severity"] for e in await events(url, TESTS)]
    assert severities == ["WARNING", "SUCCESS"]
    found = await data(url, EVENTS, {"filter": {"severities": ["SUCCESS", "CRITICAL"]}})
    assert found["events"]["totalCount"] == 1
    assert await codes(url, EVENTS, {"filter": {"severities": ["LOUD"]}}) == ["BAD_INPUT"]


async def test_cause_and_fix_of_a_failing_registration(server: RunningServer) -> None:
    url = server.graphql
    target = f"http://127.0.0.1:{closed_port()}"
    registered = await data(
        url, REGISTER, {"input": {"kind": "prometheus", "url": target, "name": "prom-down"}}
    )
    connection = registered["registerConnection"]["connection"]
    assert connection["status"] == "REGISTERED"
    entries = await events(url, {"subjectIds": [connection["id"]]})
    by_category = {e["category"]: e for e in entries}
    failed = by_category["connectivity_test"]
    assert failed["severity"] == "WARNING"
    assert "Nothing accepts connections" in failed["probableCause"]
    assert "listening on this port" in failed["suggestedFix"]
    assert by_category["registration"]["probableCause"] == failed["probableCause"]


async def test_cause_of_a_cluster_internal_url(server: RunningServer) -> None:
    url = server.graphql
    result = await _test(url, "http://metrics-store.monitoring.svc:9090")
    assert result["ok"] is False
    (entry,) = await events(url, TESTS)
    assert "inside a Kubernetes cluster" in entry["probableCause"]
    assert "port-forward" in entry["suggestedFix"]


async def test_success_has_no_cause(server: RunningServer, prometheus: Prometheus) -> None:
    url = server.graphql
    await _test(url, prometheus.url)
    (entry,) = await events(url, TESTS)
    assert (entry["severity"], entry["probableCause"], entry["suggestedFix"]) == (
        "SUCCESS",
        None,
        None,
    )
