"""How many resources there are per cluster, namespace, apiVersion, kind and type.

Kept by the writer in the same transaction as the rows it counts (from the events
that transaction causes), so that totals and summaries over those dimensions read
a few hundred counters instead of scanning the resources table on every request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from graphql_server.events import ResourceEvent, ResourceEventType
from graphql_server.store.dialect import placeholders

COUNTED = ("cluster_id", "namespace", "api_version", "kind", "resource_type")
STEP = {ResourceEventType.ADDED: 1, ResourceEventType.DELETED: -1}


def counted(columns: Iterable[str]) -> bool:
    """Whether these columns are dimensions the counters keep."""
    return set(columns) <= set(COUNTED)


class ResourceCounts:
    """The ``resource_counts`` table: writing deltas, and the SQL that reads it."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        keys = ", ".join(COUNTED)
        marks = ", ".join(placeholders(dialect, len(COUNTED) + 1))
        self._upsert_sql = (
            f"INSERT INTO resource_counts ({keys}, n) VALUES ({marks}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET n = resource_counts.n + excluded.n"
        )

    async def record(self, conn: Any, events: Sequence[ResourceEvent]) -> None:
        """Count what ``events`` added and deleted, on the transaction's connection."""
        deltas: Counter[tuple[str, ...]] = Counter()
        for event in events:
            step = STEP.get(event.type)
            if step:
                deltas[tuple(str(event.resource[c] or "") for c in COUNTED)] += step
        changed = [[*key, delta] for key, delta in sorted(deltas.items()) if delta]
        if changed:
            await conn.execute_many(self._upsert_sql, changed)

    async def forget_cluster(self, conn: Any, cluster_id: str) -> None:
        mark = placeholders(self.dialect, 1)[0]
        await conn.execute_query(
            f"DELETE FROM resource_counts WHERE cluster_id = {mark}", [cluster_id]
        )
