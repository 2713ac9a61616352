"""Fixtures for the health tests: the real Prometheus servers of the connectivity
tests, GraphQL documents reading a connection's health, and event counting."""

from __future__ import annotations

from typing import Any

# The connectivity tests' real servers, shared rather than copied.
from tests.connectivity.conftest import (  # noqa: F401 - fixtures
    closed_url,
    grafana_url,
    prometheus,
    prometheus_basic,
    prometheus_pair,
)
from tests.helpers import data

HEALTH_FIELDS = """
  id name kind status reach metadata
  lastTest { ok message }
  health {
    status consecutiveFailures since movedByServer
    lastTest { at ok message latencyMs }
    history { at ok message latencyMs }
  }
"""
CONNECTION = f"query ($id: ID!) {{ connection(id: $id) {{ {HEALTH_FIELDS} }} }}"
REGISTER = f"""
mutation ($input: RegisterConnectionInput!) {{
  registerConnection(input: $input) {{ connection {{ {HEALTH_FIELDS} }} }}
}}
"""
UPDATE = """
mutation ($id: ID!, $input: UpdateConnectionInput!) {
  updateConnection(id: $id, input: $input) { id url }
}
"""
MOVES = """
query ($id: ID!) {
  events(filter: {subjectIds: [$id], categories: ["status_change"]}, first: 50) {
    totalCount
    edges { node { message severity actor count details probableCause suggestedFix } }
  }
}
"""
ALL_EVENTS = """
query ($id: ID!) {
  events(filter: {subjectIds: [$id]}, first: 100) { edges { node { category count } } }
}
"""


async def connection(url: str, connection_id: str) -> dict[str, Any]:
    found = (await data(url, CONNECTION, {"id": connection_id}))["connection"]
    assert found is not None
    return dict(found)


async def moves(url: str, connection_id: str) -> list[dict[str, Any]]:
    """The status changes logged about a connection, newest first; a grouped entry
    counts as many times as it occurred."""
    edges = (await data(url, MOVES, {"id": connection_id}))["events"]["edges"]
    found = []
    for edge in edges:
        found.extend([edge["node"]] * int(edge["node"]["count"]))
    return found


async def entries(url: str, connection_id: str) -> int:
    """Every event log entry about a connection, repeats of a grouped entry included."""
    edges = (await data(url, ALL_EVENTS, {"id": connection_id}))["events"]["edges"]
    return sum(int(edge["node"]["count"]) for edge in edges)
