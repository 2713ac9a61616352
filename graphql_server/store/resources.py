"""The resources table: batched writes for the sync writer (reads: ``resources_query``).

Hand-written SQL on both databases (see ``dialect``): the writer's path must
cost little more than a raw batched upsert.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from graphql_server.events import ResourceEvent, ResourceEventType
from graphql_server.store.chunking import grouped_chunks
from graphql_server.store.database import Database
from graphql_server.store.dialect import Params, json_value, placeholders, time_param
from graphql_server.store.resource_counts import ResourceCounts
from graphql_server.store.resources_query import (
    COLUMNS,
    JSON_COLUMNS,
    TIME_COLUMNS,
    Page,
    ResourceQuery,
    ResourceReads,
    StoredResource,
    quote,
    resource_id,
    split_resource_id,
)
from graphql_server.store.versions import Tombstones, forget_order, predates, supersedes

__all__ = [
    "COLUMNS",
    "TIME_COLUMNS",
    "DeleteKey",
    "Page",
    "ResourceQuery",
    "ResourceRow",
    "ResourceStore",
    "StoredResource",
    "split_resource_id",
]

log = logging.getLogger(__name__)

ANALYZE_MIN_ROWS = 2000  # rows added before PostgreSQL's statistics are first refreshed
ENCODE_SLICE = 500  # rows encoded between two turns of the event loop

Labels = dict[str, str]
# (cluster id, uid), or (cluster id, uid, resourceVersion the object was deleted at).
DeleteKey = tuple[str, str] | tuple[str, str, str | None]


@dataclass(slots=True)
class ResourceRow:
    """One object as the writer stores it."""

    cluster_id: str
    uid: str
    resource_type: str
    api_version: str
    group: str
    kind: str
    namespace: str
    name: str
    resource_version: str
    labels: dict[str, str]
    annotations: dict[str, str]
    owner_references: list[dict[str, Any]]
    spec: Any
    status: Any
    extra: Any
    created_at: datetime | None
    updated_at: datetime

    def as_stored(self) -> StoredResource:
        return {
            "cluster_id": self.cluster_id,
            "uid": self.uid,
            "resource_type": self.resource_type,
            "api_version": self.api_version,
            "group": self.group,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "resource_version": self.resource_version,
            "labels": self.labels,
            "annotations": self.annotations,
            "owner_references": self.owner_references,
            "spec": self.spec,
            "status": self.status,
            "extra": self.extra,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "id": resource_id(self.cluster_id, self.uid),
        }


async def _settled(task: asyncio.Future[Any]) -> None:
    """Let a statement started in the background end before the transaction does (it
    shares the transaction's connection). Its error, when the block did not take it,
    is the block's failure already, so it is only marked as seen."""
    if not task.done():
        task.cancel()
        await asyncio.wait([task])
    if not task.cancelled():
        task.exception()


class ResourceStore(ResourceReads):
    """Reading (``ResourceReads``) and writing the resources table."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.tombstones = Tombstones(database.dialect)
        self.counts = ResourceCounts(database.dialect)
        self._stamp: tuple[datetime | None, Any] = (None, None)  # updated_at, as bound
        self._added = 0  # rows added since the statistics were last refreshed
        self._analyzed_rows = 0  # rows added when they were
        dialect = database.dialect
        marks = placeholders(dialect, len(COLUMNS))
        values = ", ".join(
            f"{mark}::jsonb" if name in JSON_COLUMNS and dialect == "postgres" else mark
            for name, mark in zip(COLUMNS, marks, strict=True)
        )
        quoted = ", ".join(quote(c) for c in COLUMNS)
        updates = ", ".join(
            f"{quote(c)} = excluded.{quote(c)}" for c in COLUMNS if c not in ("cluster_id", "uid")
        )
        self._upsert_sql = (
            f"INSERT INTO resources ({quoted}) VALUES ({values}) "
            f"ON CONFLICT (cluster_id, uid) DO UPDATE SET {updates}"
        )

    # -- writing -----------------------------------------------------------------

    async def apply(
        self,
        upserts: Sequence[ResourceRow],
        deletes: Sequence[DeleteKey],
        after: Any = None,
    ) -> list[ResourceEvent]:
        """Apply one batch in one transaction; return the events it caused.

        Idempotent and safe against late copies (``store.versions``): a row whose
        resourceVersion is already stored, or older than the stored one, or not newer
        than the version its object was deleted at, is skipped (no write, no event).
        A delete is ``(cluster id, uid)`` or ``(cluster id, uid, resourceVersion)``;
        with a version it leaves a newer stored row alone and leaves a tombstone.
        ``after`` is an optional coroutine function called with the transaction's
        connection before commit (sync checkpoints go there).
        """
        events: list[ResourceEvent] = []
        async with self.database.transaction() as conn:
            # The database looks the rows up while their values are encoded here.
            looked_up = asyncio.create_task(self._look_up(conn, upserts))
            try:
                encoded = await self._encode(upserts)
                existing, deleted_at = await looked_up
            finally:
                await _settled(looked_up)
            # (row, its values, ADDED or MODIFIED, the labels it had)
            changed: list[tuple[ResourceRow, list[Any], ResourceEventType, Labels | None]] = []
            for row, values in zip(upserts, encoded, strict=True):
                key = (row.cluster_id, row.uid)
                previous = existing.get(key)
                if previous is not None:
                    if not supersedes(row.resource_version, previous[0]):
                        continue
                    changed.append((row, values, ResourceEventType.MODIFIED, previous[1]))
                elif key in deleted_at and not supersedes(row.resource_version, deleted_at[key]):
                    continue
                else:
                    changed.append((row, values, ResourceEventType.ADDED, None))
                existing[key] = (row.resource_version, row.labels)
            if changed:
                batch = [values for _, values, _, _ in changed]
                written = asyncio.create_task(conn.execute_many(self._upsert_sql, batch))
                try:
                    await asyncio.sleep(0)  # the statement is on its way; the events meanwhile
                    events.extend(
                        ResourceEvent(
                            kind, row.cluster_id, row.uid, row.as_stored(), previous_labels=labels
                        )
                        for row, _, kind, labels in changed
                    )
                    await written
                finally:
                    await _settled(written)
            removals, stones = await self._deletable(conn, deletes)
            for stored in await self._delete(conn, removals):
                events.append(
                    ResourceEvent(
                        ResourceEventType.DELETED, stored["cluster_id"], stored["uid"], stored
                    )
                )
            await self.tombstones.record(conn, stones)
            await self.counts.record(conn, events)
            await self.labels.record(conn, events)
            if after is not None:
                await after(conn)
        await self._keep_statistics(events)
        return events

    async def _look_up(
        self, conn: Any, rows: Sequence[ResourceRow]
    ) -> tuple[dict[tuple[str, str], tuple[str, dict[str, str]]], dict[tuple[str, str], str]]:
        """The stored version and labels of each row's object, and the version each
        object absent from the table was deleted at (where a tombstone says)."""
        existing = await self._existing(conn, rows)
        absent = {(r.cluster_id, r.uid) for r in rows} - set(existing)
        deleted_at = await self.tombstones.lookup(conn, absent) if absent else {}
        return existing, deleted_at

    async def _encode(self, rows: Sequence[ResourceRow]) -> list[list[Any]]:
        """Every row's values, a slice at a time: between slices the event loop runs
        what waits for it (the lookup's next statement among them)."""
        encoded: list[list[Any]] = []
        for start in range(0, len(rows), ENCODE_SLICE):
            if start:
                await asyncio.sleep(0)
            encoded.extend(self._values(row) for row in rows[start : start + ENCODE_SLICE])
        return encoded

    async def _keep_statistics(self, events: Sequence[ResourceEvent]) -> None:
        """PostgreSQL plans by the table's statistics, which autovacuum refreshes
        late: a table filled from empty is planned as nearly empty, and each batch's
        lookup by (cluster, uid) reads every row of the cluster instead of its
        unique index (100,000 objects: seconds per batch). So the table is analyzed
        each time it has doubled since it last was."""
        if self.dialect != "postgres":
            return
        self._added += sum(1 for e in events if e.type is ResourceEventType.ADDED)
        if self._added < max(ANALYZE_MIN_ROWS, self._analyzed_rows):
            return
        self._analyzed_rows += self._added
        self._added = 0
        try:
            await self.database.connection().execute_script("ANALYZE resources")
        except Exception as exc:  # the batch is committed: only the plans wait
            log.warning("cannot refresh the statistics of resources: %s", exc)

    async def _deletable(
        self, conn: Any, deletes: Sequence[DeleteKey]
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        """The keys to delete (a versioned delete older than its row is dropped) and
        the tombstones to leave."""
        versioned = [d for d in deletes if len(d) > 2 and d[2]]
        stored: dict[tuple[str, str], str] = {}
        if versioned:
            found = await self._existing_keys(conn, [(d[0], d[1]) for d in versioned])
            stored = {key: value[0] for key, value in found.items()}
        removals: list[tuple[str, str]] = []
        stones: list[tuple[str, str, str]] = []
        for delete in deletes:
            key = (delete[0], delete[1])
            version = delete[2] if len(delete) > 2 else None
            if version:
                if key in stored and predates(version, stored[key]):
                    continue
                stones.append((key[0], key[1], version))
            removals.append(key)
        return removals, stones

    async def sweep(
        self,
        cluster_id: str,
        resource_type: str,
        keep: Iterable[str],
        version: str | None = None,
        after: Any = None,
    ) -> list[ResourceEvent]:
        """Delete the rows of one cluster and type whose uid is not in ``keep``.

        ``version`` is the resourceVersion of the list ``keep`` came from: a row
        changed after it (a newer version) is not the list's to judge and stays,
        and each row swept leaves a tombstone at that version, so a sweep applied
        again, or late, removes nothing it should not.
        """
        stored = await self.versions(cluster_id, resource_type)
        kept = set(keep)
        gone = [
            uid
            for uid, stored_version in stored.items()
            if uid not in kept and not (version and predates(version, stored_version))
        ]
        if not gone:
            if after is not None:
                async with self.database.transaction() as conn:
                    await after(conn)
            return []
        return await self.apply((), [(cluster_id, uid, version) for uid in gone], after=after)

    async def forget_versions(self, cluster_id: str, after: Any = None) -> None:
        """In one transaction: the cluster's stored versions and tombstones stop ordering
        anything (``versions.forget_order``), then ``after(connection)``."""
        async with self.database.transaction() as conn:
            await forget_order(conn, self.dialect, cluster_id)
            if after is not None:
                await after(conn)

    async def delete_cluster(self, cluster_id: str) -> int:
        params = Params(self.dialect)
        sql = f"DELETE FROM resources WHERE cluster_id = {params(cluster_id)}"
        async with self.database.transaction() as conn:
            count, _ = await conn.execute_query(sql, params.values)
            await self.tombstones.forget_cluster(conn, cluster_id)
            await self.counts.forget_cluster(conn, cluster_id)
            await self.labels.forget_cluster(conn, cluster_id)
        return int(count)

    async def versions(self, cluster_id: str, resource_type: str | None = None) -> dict[str, str]:
        """uid -> resourceVersion of the stored rows of a cluster (and type)."""
        params = Params(self.dialect)
        where = f"cluster_id = {params(cluster_id)}"
        if resource_type is not None:
            where += f" AND resource_type = {params(resource_type)}"
        _, rows = await self.database.connection().execute_query(
            f"SELECT uid, resource_version FROM resources WHERE {where}", params.values
        )
        return {row["uid"]: row["resource_version"] for row in rows}

    async def _existing(
        self, conn: Any, rows: Sequence[ResourceRow]
    ) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
        return await self._existing_keys(conn, [(row.cluster_id, row.uid) for row in rows])

    async def _existing_keys(
        self, conn: Any, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
        found: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        for cluster_id, chunk in grouped_chunks(keys):
            params = Params(self.dialect)
            sql = (
                "SELECT uid, resource_version, labels FROM resources "
                f"WHERE cluster_id = {params(cluster_id)} AND uid IN "
                f"({', '.join(params(uid) for uid in chunk)})"
            )
            _, result = await conn.execute_query(sql, params.values)
            for r in result:
                found[(cluster_id, r["uid"])] = (r["resource_version"], json_value(r["labels"]))
        return found

    async def _delete(self, conn: Any, keys: Sequence[tuple[str, str]]) -> list[StoredResource]:
        deleted: list[StoredResource] = []
        for cluster_id, uids in grouped_chunks(keys):
            params = Params(self.dialect)
            cluster = params(cluster_id)
            chunk = ", ".join(params(uid) for uid in uids)
            sql = (
                f"DELETE FROM resources WHERE cluster_id = {cluster} "
                f"AND uid IN ({chunk}) RETURNING *"
            )
            rows = await conn.execute_query_dict(sql, params.values)
            deleted.extend(self._stored(r) for r in rows)
        return deleted

    def _values(self, row: ResourceRow) -> list[Any]:
        """The row's values in ``COLUMNS`` order, as the driver takes them (the writer's
        hot path: one row of every object synced goes through here)."""
        dumps, dialect = orjson.dumps, self.dialect
        spec, status, extra = row.spec, row.status, row.extra
        stamp, bound = self._stamp
        if row.updated_at is not stamp:  # a list page's rows share one instant
            bound = time_param(dialect, row.updated_at)
            self._stamp = (row.updated_at, bound)
        return [
            row.cluster_id,
            row.uid,
            row.resource_type,
            row.api_version,
            row.group,
            row.kind,
            row.namespace,
            row.name,
            row.resource_version,
            dumps(row.labels).decode(),
            dumps(row.annotations).decode(),
            dumps(row.owner_references).decode(),
            None if spec is None else dumps(spec).decode(),
            None if status is None else dumps(status).decode(),
            None if extra is None else dumps(extra).decode(),
            time_param(dialect, row.created_at),
            bound,
        ]
