"""The resources table: batched writes for the sync writer, pages and counts for the API.

Hand-written SQL on both databases (see ``dialect``): the writer's path must
cost little more than a raw batched upsert, and pages use keyset pagination so
that rows changing between two pages never cause duplicates or gaps.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from graphql_server.errors import BadInput
from graphql_server.events import ResourceEvent, ResourceEventType
from graphql_server.labels import Selector
from graphql_server.store.chunking import LOOKUP_CHUNK, grouped_chunks
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
from graphql_server.store.versions import Tombstones, forget_order, predates, supersedes

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
NULL_TIME = datetime(1970, 1, 1, tzinfo=UTC)

StoredResource = dict[str, Any]
# (cluster id, uid), or (cluster id, uid, resourceVersion the object was deleted at).
DeleteKey = tuple[str, str] | tuple[str, str, str | None]


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
        self.tombstones = Tombstones(database.dialect)
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
            existing = await self._existing(conn, upserts)
            absent = {(r.cluster_id, r.uid) for r in upserts} - set(existing)
            deleted_at = await self.tombstones.lookup(conn, absent) if absent else {}
            changed: list[ResourceRow] = []
            for row in upserts:
                key = (row.cluster_id, row.uid)
                previous = existing.get(key)
                if previous is not None:
                    if not supersedes(row.resource_version, previous[0]):
                        continue
                elif key in deleted_at and not supersedes(row.resource_version, deleted_at[key]):
                    continue
                existing[key] = (row.resource_version, row.labels)
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
            removals, stones = await self._deletable(conn, deletes)
            for stored in await self._delete(conn, removals):
                events.append(
                    ResourceEvent(
                        ResourceEventType.DELETED, stored["cluster_id"], stored["uid"], stored
                    )
                )
            await self.tombstones.record(conn, stones)
            if after is not None:
                await after(conn)
        return events

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
        for cluster_id, uids in grouped_chunks(keys):
            query = ResourceQuery(cluster_ids=(cluster_id,), uids=tuple(uids))
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
            if column in TIME_COLUMNS:
                value = time_param(self.dialect, NULL_TIME if value is None else time_value(value))
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

    async def label_counts(self, query: ResourceQuery) -> list[tuple[str, str, int]]:
        """(key, value, number of matching resources) for every label in use, sorted."""
        params = Params(self.dialect)
        where = self._where(query, params)
        if self.dialect == "sqlite":
            pairs = "json_each(r.labels) AS l"
        else:
            pairs = "LATERAL jsonb_each_text(r.labels) AS l(key, value)"
        sql = (
            f"SELECT l.key AS key, l.value AS value, COUNT(*) AS n "
            f"FROM (SELECT labels FROM resources WHERE {where}) AS r CROSS JOIN {pairs} "
            "GROUP BY l.key, l.value ORDER BY l.key, l.value"
        )
        _, rows = await self.database.connection().execute_query(sql, params.values)
        return [(str(r["key"]), str(r["value"]), int(r["n"])) for r in rows]

    async def namespaces(self, cluster_ids: Sequence[str] = ()) -> list[str]:
        """Namespaces in use or defined (as Namespace objects) in the given clusters."""
        params = Params(self.dialect)

        def scope() -> str:
            if not cluster_ids:
                return ""
            return f"AND cluster_id IN ({', '.join(params(c) for c in cluster_ids)})"

        used = f"SELECT DISTINCT namespace AS name FROM resources WHERE namespace <> '' {scope()}"
        defined = (
            f"SELECT name FROM resources WHERE kind = 'Namespace' AND api_version = 'v1' {scope()}"
        )
        sql = f"SELECT name FROM ({used} UNION {defined}) AS n ORDER BY name"
        _, rows = await self.database.connection().execute_query(sql, params.values)
        return [str(r["name"]) for r in rows]

    async def children_of(
        self, owners: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str], list[StoredResource]]:
        """Resources naming each owner in their ownerReferences, in kind and name order.

        ``owners`` are (cluster id, owner namespace, owner uid): a namespaced
        owner's dependents live in its namespace, a cluster-scoped owner's
        anywhere in its cluster. The result is keyed by (cluster id, owner uid).
        """
        found: dict[tuple[str, str], list[StoredResource]] = {
            (cluster_id, uid): [] for cluster_id, _, uid in owners
        }
        if self.dialect == "sqlite":
            elements = "json_each(r.owner_references) AS o"
            owner_uid = "json_extract(o.value, '$.uid')"
        else:
            elements = "LATERAL jsonb_array_elements(r.owner_references) AS o"
            owner_uid = "(o ->> 'uid')"
        groups = (((cluster_id, namespace), uid) for cluster_id, namespace, uid in owners)
        for (cluster_id, namespace), uids in grouped_chunks(groups):
            params = Params(self.dialect)
            where = f"r.cluster_id = {params(cluster_id)}"
            if namespace:
                where += f" AND r.namespace = {params(namespace)}"
            chunk = ", ".join(params(uid) for uid in uids)
            sql = (
                f"SELECT r.*, {owner_uid} AS owner_uid FROM resources AS r "
                f"CROSS JOIN {elements} WHERE {where} AND {owner_uid} IN ({chunk}) "
                "ORDER BY r.kind, r.name, r.id"
            )
            _, rows = await self.database.connection().execute_query(sql, params.values)
            for r in rows:
                found[(cluster_id, str(r["owner_uid"]))].append(self._stored(r))
        return found

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
        if column in TIME_COLUMNS:
            # A missing time sorts first (as 1970) on both databases, and compares (NULL
            # would not), so keyset pages never lose such rows.
            sentinel = f"'{NULL_TIME.isoformat()}'"
            if self.dialect == "postgres":
                sentinel = f"TIMESTAMPTZ {sentinel}"
            return f"COALESCE({_quote(column)}, {sentinel})"
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
