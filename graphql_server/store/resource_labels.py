"""An index of resource labels for SQLite: one row per (object, label key).

SQLite has no index over the keys and values of a JSON object, so a label selector
would read every row. The writer keeps ``resource_labels`` in the same transaction
as the rows (from the events that transaction causes), and selectors that narrow
(``key=value``, ``key in (...)``, ``key``) look objects up through it. PostgreSQL
uses its GIN index on ``labels`` instead and keeps no such table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql_server.events import ResourceEvent, ResourceEventType
from graphql_server.labels import Operator, Requirement
from graphql_server.store.dialect import Params

DELETE = "DELETE FROM resource_labels WHERE cluster_id = ? AND uid = ?"
INSERT = (
    "INSERT INTO resource_labels (cluster_id, uid, key, value) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (cluster_id, uid, key) DO UPDATE SET value = excluded.value"
)


class ResourceLabels:
    """Keeping the label index (SQLite only) and the predicates that read it."""

    def __init__(self, dialect: str) -> None:
        self.kept = dialect == "sqlite"

    async def record(self, conn: Any, events: Sequence[ResourceEvent]) -> None:
        """Follow what ``events`` did to labels, on the transaction's connection."""
        if not self.kept:
            return
        gone: list[tuple[str, str]] = []
        added: list[tuple[str, str, str, str]] = []
        for event in events:
            resource = event.resource
            labels = resource.get("labels") or {}
            if event.type is ResourceEventType.MODIFIED and event.previous_labels == labels:
                continue
            key = (event.cluster_id, event.uid)
            if event.type is not ResourceEventType.ADDED:
                gone.append(key)
            if event.type is not ResourceEventType.DELETED:
                added.extend((*key, str(k), str(v)) for k, v in labels.items())
        if gone:
            await conn.execute_many(DELETE, [list(k) for k in gone])
        if added:
            await conn.execute_many(INSERT, [list(row) for row in added])

    async def forget_cluster(self, conn: Any, cluster_id: str) -> None:
        if self.kept:
            await conn.execute_query(
                "DELETE FROM resource_labels WHERE cluster_id = ?", [cluster_id]
            )

    def predicate(self, params: Params, requirement: Requirement) -> str | None:
        """SQL over ``resources`` answering ``requirement`` through the index, or None
        when the index does not narrow it (negations)."""
        if not self.kept:
            return None
        match requirement.operator:
            case Operator.EQUALS | Operator.IN:
                if not requirement.values:
                    return "1 = 0"
                key = params(requirement.key)  # placeholders number in order of use
                values = ", ".join(params(v) for v in requirement.values)
                narrowing = f"key = {key} AND value IN ({values})"
            case Operator.EXISTS:
                narrowing = f"key = {params(requirement.key)}"
            case _:
                return None
        return (
            f"(cluster_id, uid) IN (SELECT cluster_id, uid FROM resource_labels WHERE {narrowing})"
        )
