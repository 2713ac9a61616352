"""The order of resourceVersions, and the tombstones of deleted objects.

Owns what makes applying a change idempotent and safe against out-of-order
delivery: a change carrying an older resourceVersion than the stored one never
overwrites it, and an object deleted at some version is not brought back by a
late copy of an older change (its tombstone remembers the version it was deleted
at). Versions compare as integers when both are numeric, as they are on real
clusters (etcd revisions); otherwise only equality is known.

:func:`forget_order` drops all of that for one cluster whose versions went backwards.
Tombstones live in ``resource_tombstones`` and are pruned once older than the
retention (by default a day: longer than any replay the operations stream keeps).
Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from graphql_server.store.dialect import Params

TOMBSTONE_RETENTION = 24 * 3600.0
PRUNE_INTERVAL = 600.0
CHUNK = 500


def compare_versions(a: str, b: str) -> int | None:
    """-1, 0 or 1 when both versions are numeric; None when they cannot be ordered."""
    if not (a.isdigit() and b.isdigit()):
        return None
    left, right = int(a), int(b)
    return (left > right) - (left < right)


def supersedes(incoming: str, stored: str) -> bool:
    """True when a change at ``incoming`` should replace what is stored at ``stored``."""
    order = compare_versions(incoming, stored)
    if order is None:
        return incoming != stored
    return order > 0


def predates(incoming: str, stored: str) -> bool:
    """True when ``incoming`` is known to be older than ``stored``."""
    order = compare_versions(incoming, stored)
    return order is not None and order < 0


class Tombstones:
    """Versions at which objects were deleted, per (cluster id, uid)."""

    def __init__(self, dialect: str, retention: float = TOMBSTONE_RETENTION) -> None:
        self.dialect = dialect
        self.retention = retention
        self._pruned_at = 0.0

    async def lookup(
        self, conn: Any, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        by_cluster: dict[str, list[str]] = {}
        for cluster_id, uid in keys:
            by_cluster.setdefault(cluster_id, []).append(uid)
        found: dict[tuple[str, str], str] = {}
        for cluster_id, uids in by_cluster.items():
            for start in range(0, len(uids), CHUNK):
                params = Params(self.dialect)
                cluster = params(cluster_id)  # placeholders in the order of the SQL
                chunk = ", ".join(params(uid) for uid in uids[start : start + CHUNK])
                sql = (
                    "SELECT uid, resource_version FROM resource_tombstones "
                    f"WHERE cluster_id = {cluster} AND uid IN ({chunk})"
                )
                _, rows = await conn.execute_query(sql, params.values)
                for row in rows:
                    found[(cluster_id, str(row["uid"]))] = str(row["resource_version"])
        return found

    async def record(self, conn: Any, entries: Sequence[tuple[str, str, str]]) -> None:
        """Remember each (cluster id, uid, version) as deleted; the newest version wins."""
        if not entries:
            return
        latest: dict[tuple[str, str], str] = {}
        for cluster_id, uid, version in entries:
            key = (cluster_id, uid)
            if key not in latest or supersedes(version, latest[key]):
                latest[key] = version
        marks = "?, ?, ?, ?" if self.dialect == "sqlite" else "$1, $2, $3, $4"
        sql = (
            "INSERT INTO resource_tombstones (cluster_id, uid, resource_version, deleted_at) "
            f"VALUES ({marks}) ON CONFLICT (cluster_id, uid) DO UPDATE SET "
            "resource_version = excluded.resource_version, deleted_at = excluded.deleted_at"
        )
        now = int(time.time())
        await conn.execute_many(
            sql, [[cluster_id, uid, version, now] for (cluster_id, uid), version in latest.items()]
        )
        await self.prune_if_due(conn)

    async def prune_if_due(self, conn: Any, *, force: bool = False) -> int:
        now = time.time()
        if not force and now - self._pruned_at < PRUNE_INTERVAL:
            return 0
        self._pruned_at = now
        params = Params(self.dialect)
        horizon = params(int(now - self.retention))
        sql = f"DELETE FROM resource_tombstones WHERE deleted_at < {horizon}"
        count, _ = await conn.execute_query(sql, params.values)
        return int(count or 0)

    async def forget_cluster(self, conn: Any, cluster_id: str) -> None:
        params = Params(self.dialect)
        sql = f"DELETE FROM resource_tombstones WHERE cluster_id = {params(cluster_id)}"
        await conn.execute_query(sql, params.values)


async def forget_order(conn: Any, dialect: str, cluster_id: str) -> None:
    """Within the caller's transaction: nothing stored for the cluster orders changes
    any more. Its rows keep their content with no version (any listed version replaces
    them, any list sweeps them) and its tombstones go: after its API server went back
    in time, its next complete list is the truth, whatever versions it carries."""
    params = Params(dialect)
    sql = f"UPDATE resources SET resource_version = '' WHERE cluster_id = {params(cluster_id)}"
    await conn.execute_query(sql, params.values)
    await Tombstones(dialect).forget_cluster(conn, cluster_id)
