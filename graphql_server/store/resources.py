"""The resources table: batched writes for the sync writer, pages and counts for the API.

Hand-written SQL on both databases (see ``dialect``): the writer's path must
cost little more than a raw batched upsert, and pages use keyset pagination so
that rows changing between two pages never cause duplicates or gaps.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from graphql_server.errors import BadInput
from graphql_server.events import ResourceEvent, ResourceEventType
from graphql_server.labels import Selector
from graphql_server.store.database import Database
from graphql_server.store.dialect import (
    Params,
    contains_predicate,
    json_value,
    label_predicate,
    placeholders,
    time_param,
    time_value,
)

COLUMNS = (
    "cluster_id",
    "uid",
    "resource_type",
    "api_version",
    "group",
    "kind",
    "namespace",
    "name",
    "resource_version",
    "labels",
    "annotations",
    "owner_references",
    "spec",
    "status",
    "extra",
    "created_at",
    "updated_at",
)
JSON_COLUMNS = frozenset({"labels", "annotations", "owner_references", "spec", "status", "extra"})
TIME_COLUMNS = frozenset({"created_at", "updated_at"})
ORDERS = {
    "NAME": "name",
    "KIND": "kind",
    "NAMESPACE": "namespace",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
}
LOOKUP_CHUNK = 500

StoredResource = dict[str, Any]


def resource_id(cluster_id: str, uid: str) -> str:
    return f"{cluster_id}/{uid}"


def split_resource_id(value: str) -> tuple[str, str]:
    cluster_id, sep, uid = value.partition("/")
    if not sep or not cluster_id or not uid:
        raise BadInput("a resource id has the form <cluster id>/<uid>")
    return cluster_id, uid


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
        stored = {name: getattr(self, name) for name in COLUMNS}
        stored["id"] = resource_id(self.cluster_id, self.uid)
        return stored


@dataclass(frozen=True, slots=True)
class ResourceQuery:
    """A filter over resources; every field narrows, empty fields select all."""

    cluster_ids: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    api_versions: tuple[str, ...] = ()
    kind_pairs: tuple[tuple[str, str], ...] | None = None
    selector: Selector = field(default_factory=lambda: Selector(()))
    search: str | None = None
    owner_uid: str | None = None
    uids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[StoredResource]
    cursors: list[str]
    has_next: bool


class ResourceStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        dialect = database.dialect
        marks = placeholders(dialect, len(COLUMNS))
        values = ", ".join(
            f"{mark}::jsonb" if name in JSON_COLUMNS and dialect == "postgres" else mark
            for name, mark in zip(COLUMNS, marks, strict=True)
        )
        quoted = ", ".join(_quote(c) for c in COLUMNS)
        updates = ", ".join(
            f"{_quote(c)} = excluded.{_quote(c)}" for c in COLUMNS if c not in ("cluster_id", "uid")
        )
        self._upsert_sql = (
            f"INSERT INTO resources ({quoted}) VALUES ({values}) "
            f"ON CONFLICT (cluster_id, uid) DO UPDATE SET {updates}"
        )

    @property
    def dialect(self) -> str:
        return self.database.dialect

    # -- writing -----------------------------------------------------------------

    async def apply(
        self,
        upserts: Sequence[ResourceRow],
        deletes: Sequence[tuple[str, str]],
        after: Any = None,
    ) -> list[ResourceEvent]:
        """Apply one batch in one transaction; return the events it caused.

        A row whose resourceVersion is already stored is skipped (no write, no
        event), so replays and redeliveries change nothing. ``after`` is an
        optional coroutine function called with the transaction's connection
        before commit (sync checkpoints go there).
        """
        events: list[ResourceEvent] = []
        async with self.database.connection()._in_transaction() as conn:
            existing = await self._existing(conn, upserts)
            changed: list[ResourceRow] = []
            for row in upserts:
                previous = existing.get((row.cluster_id, row.uid))
                if previous is not None and previous[0] == row.resource_version:
                    continue
                changed.append(row)
                kind = ResourceEventType.ADDED if previous is None else ResourceEventType.MODIFIED
                events.append(
                    ResourceEvent(
                        kind,
                        row.cluster_id,
                        row.uid,
                        row.as_stored(),
                        previous_labels=None if previous is None else previous[1],
                    )
                )
            if changed:
                await conn.execute_many(self._upsert_sql, [self._values(r) for r in changed])
            for stored in await self._delete(conn, deletes):
                events.append(
                    ResourceEvent(
                        ResourceEventType.DELETED, stored["cluster_id"], stored["uid"], stored
                    )
                )
            if after is not None:
                await after(conn)
        return events

    async def sweep(
        self, cluster_id: str, resource_type: str, keep: Iterable[str]
    ) -> list[ResourceEvent]:
        """Delete the rows of one cluster and type whose uid is not in ``keep``."""
        stored = await self.versions(cluster_id, resource_type)
        gone = set(stored) - set(keep)
        if not gone:
            return []
        return await self.apply((), [(cluster_id, uid) for uid in gone])

    async def delete_cluster(self, cluster_id: str) -> int:
        params = Params(self.dialect)
        sql = f"DELETE FROM resources WHERE cluster_id = {params(cluster_id)}"
        count, _ = await self.database.connection().execute_query(sql, params.values)
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
        by_cluster: dict[str, list[str]] = {}
        for row in rows:
            by_cluster.setdefault(row.cluster_id, []).append(row.uid)
        found: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        for cluster_id, uids in by_cluster.items():
            for start in range(0, len(uids), LOOKUP_CHUNK):
                chunk = uids[start : start + LOOKUP_CHUNK]
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
        by_cluster: dict[str, list[str]] = {}
        for cluster_id, uid in keys:
            by_cluster.setdefault(cluster_id, []).append(uid)
        deleted: list[StoredResource] = []
        for cluster_id, uids in by_cluster.items():
            for start in range(0, len(uids), LOOKUP_CHUNK):
                params = Params(self.dialect)
                cluster = params(cluster_id)
                chunk = ", ".join(params(uid) for uid in uids[start : start + LOOKUP_CHUNK])
                sql = (
                    f"DELETE FROM resources WHERE cluster_id = {cluster} "
                    f"AND uid IN ({chunk}) RETURNING *"
                )
                rows = await conn.execute_query_dict(sql, params.values)
                deleted.extend(self._stored(r) for r in rows)
        return deleted

    def _values(self, row: ResourceRow) -> list[Any]:
        dialect = self.dialect
        values: list[Any] = []
        for name in COLUMNS:
            value = getattr(row, name)
            if name in JSON_COLUMNS:
                value = None if value is None else orjson.dumps(value).decode()
            elif name in TIME_COLUMNS:
                value = time_param(dialect, value)
            values.append(value)
        return values

    # -- reading -----------------------------------------------------------------

    async def get(self, cluster_id: str, uid: str) -> StoredResource | None:
        rows = await self.get_many([(cluster_id, uid)])
        return rows.get((cluster_id, uid))

    async def get_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredResource]:
        found: dict[tuple[str, str], StoredResource] = {}
        by_cluster: dict[str, list[str]] = {}
        for cluster_id, uid in keys:
            by_cluster.setdefault(cluster_id, []).append(uid)
        for cluster_id, uids in by_cluster.items():
            for start in range(0, len(uids), LOOKUP_CHUNK):
                query = ResourceQuery(
                    cluster_ids=(cluster_id,), uids=tuple(uids[start : start + LOOKUP_CHUNK])
                )
                for row in await self.select(query, limit=LOOKUP_CHUNK):
                    found[(row["cluster_id"], row["uid"])] = row
        return found

    async def select(self, query: ResourceQuery, limit: int = 1000) -> list[StoredResource]:
        params = Params(self.dialect)
        where = self._where(query, params)
        sql = f"SELECT * FROM resources WHERE {where} ORDER BY id LIMIT {int(limit)}"
        _, rows = await self.database.connection().execute_query(sql, params.values)
        return [self._stored(r) for r in rows]

    async def page(
        self,
        query: ResourceQuery,
        first: int,
        after: str | None = None,
        order: str = "NAME",
        descending: bool = False,
    ) -> Page:
        """One page in a stable order, continuing after the cursor ``after``."""
        column = ORDERS.get(order)
        if column is None:
            raise BadInput(f"unknown order {order!r}")
        params = Params(self.dialect)
        where = self._where(query, params)
        direction = "DESC" if descending else "ASC"
        compare = "<" if descending else ">"
        if after:
            value, pk = _decode_cursor(after, order)
            if column in TIME_COLUMNS and value is not None:
                value = time_param(self.dialect, time_value(value))
            key = self._order_key(column)
            where += (
                f" AND ({key} {compare} {params(value)} OR "
                f"({key} = {params(value)} AND id {compare} {params(pk)}))"
            )
        sql = (
            f"SELECT * FROM resources WHERE {where} "
            f"ORDER BY {self._order_key(column)} {direction}, id {direction} "
            f"LIMIT {int(first) + 1}"
        )
        _, raw = await self.database.connection().execute_query(sql, params.values)
        has_next = len(raw) > first
        raw = list(raw[:first])
        rows = [self._stored(r) for r in raw]
        cursors = [_encode_cursor(order, self._order_value(r, column), r["id"]) for r in raw]
        return Page(rows, cursors, has_next)

    async def count(self, query: ResourceQuery) -> int:
        params = Params(self.dialect)
        sql = f"SELECT COUNT(*) AS n FROM resources WHERE {self._where(query, params)}"
        _, rows = await self.database.connection().execute_query(sql, params.values)
        return int(rows[0]["n"])

    async def count_by(self, query: ResourceQuery, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Counts grouped by ``columns`` (each one of the table's plain columns)."""
        for column in columns:
            if column not in COLUMNS or column in JSON_COLUMNS:
                raise BadInput(f"cannot group by {column!r}")
        params = Params(self.dialect)
        group = ", ".join(_quote(c) for c in columns)
        sql = (
            f"SELECT {group}, COUNT(*) AS n FROM resources "
            f"WHERE {self._where(query, params)} GROUP BY {group}"
        )
        _, rows = await self.database.connection().execute_query(sql, params.values)
        return [dict(r) for r in rows]

    def _where(self, query: ResourceQuery, params: Params) -> str:
        clauses = ["1 = 1"]

        def among(column: str, values: Sequence[str]) -> None:
            clauses.append(f"{_quote(column)} IN ({', '.join(params(v) for v in values)})")

        if query.cluster_ids:
            among("cluster_id", query.cluster_ids)
        if query.namespaces:
            among("namespace", query.namespaces)
        if query.kinds:
            among("kind", query.kinds)
        if query.api_versions:
            among("api_version", query.api_versions)
        if query.uids is not None:
            if not query.uids:
                clauses.append("1 = 0")
            else:
                among("uid", query.uids)
        if query.kind_pairs is not None:
            if not query.kind_pairs:
                clauses.append("1 = 0")
            else:
                pairs = " OR ".join(
                    f"(api_version = {params(api_version)} AND kind = {params(kind)})"
                    for api_version, kind in query.kind_pairs
                )
                clauses.append(f"({pairs})")
        for requirement in query.selector.requirements:
            clauses.append(label_predicate(params, requirement))
        if query.search:
            clauses.append(contains_predicate(params, "name", query.search))
        if query.owner_uid:
            if self.dialect == "sqlite":
                clauses.append(
                    "EXISTS (SELECT 1 FROM json_each(owner_references) "
                    f"WHERE json_extract(value, '$.uid') = {params(query.owner_uid)})"
                )
            else:
                clauses.append(
                    f"owner_references @> jsonb_build_array(jsonb_build_object("
                    f"'uid', {params(query.owner_uid)}::text))"
                )
        return " AND ".join(clauses)

    def _order_key(self, column: str) -> str:
        return _quote(column)

    def _order_value(self, row: Any, column: str) -> Any:
        value = row[column]
        if column in TIME_COLUMNS:
            parsed = time_value(value)
            return None if parsed is None else parsed.isoformat()
        return value

    def _stored(self, row: Any) -> StoredResource:
        stored: StoredResource = {}
        for name in COLUMNS:
            value = row[name]
            if name in JSON_COLUMNS:
                value = json_value(value)
            elif name in TIME_COLUMNS:
                value = time_value(value)
            stored[name] = value
        stored["id"] = resource_id(stored["cluster_id"], stored["uid"])
        return stored


def _quote(column: str) -> str:
    return f'"{column}"'


def _encode_cursor(order: str, value: Any, pk: int) -> str:
    raw = orjson.dumps([order, value, pk])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, order: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_order, value, pk = orjson.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise BadInput("invalid cursor") from None
    if cursor_order != order or not isinstance(pk, int):
        raise BadInput("the cursor belongs to another ordering")
    return value, pk
