"""The resources table as the API reads it: filters, keyset pages, counts, owners.

Hand-written SQL on both databases (see ``dialect``). Pages use keyset pagination so
that rows changing between two pages never cause duplicates or gaps. Reads go
through the database's read connections, so they never wait behind the writer.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from graphql_server.errors import BadInput
from graphql_server.labels import Selector
from graphql_server.store import name_search
from graphql_server.store.chunking import LOOKUP_CHUNK, grouped_chunks
from graphql_server.store.database import Database
from graphql_server.store.dialect import (
    Params,
    contains_predicate,
    json_value,
    label_predicate,
    time_param,
    time_value,
)
from graphql_server.store.resource_counts import counted
from graphql_server.store.resource_labels import ResourceLabels

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


def resource_id(cluster_id: str, uid: str) -> str:
    return f"{cluster_id}/{uid}"


def split_resource_id(value: str) -> tuple[str, str]:
    cluster_id, sep, uid = value.partition("/")
    if not sep or not cluster_id or not uid:
        raise BadInput("a resource id has the form <cluster id>/<uid>")
    return cluster_id, uid


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


def kept_count(query: ResourceQuery) -> bool:
    """Whether the counters (``resource_counts``) answer how many resources match."""
    return not (query.selector or query.search or query.owner_uid or query.uids is not None)


class ResourceReads:
    """Reading the resources table."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.labels = ResourceLabels(database.dialect)
        self.probes = name_search.Probes()

    @property
    def dialect(self) -> str:
        return self.database.dialect

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
        where = self._where(query, params, await self._trigrams(query))
        sql = f"SELECT * FROM resources WHERE {where} ORDER BY id LIMIT {int(limit)}"
        _, rows = await self.database.reader().execute_query(sql, params.values)
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
        trigrams = await self._trigrams(query)
        sql, values = self.page_statement(query, first, after, order, descending, trigrams)
        _, raw = await self.database.reader().execute_query(sql, values)
        column = ORDERS[order]
        has_next = len(raw) > first
        raw = list(raw[:first])
        rows = [self._stored(r) for r in raw]
        cursors = [_encode_cursor(order, self._order_value(r, column), r["id"]) for r in raw]
        return Page(rows, cursors, has_next)

    def page_statement(
        self,
        query: ResourceQuery,
        first: int,
        after: str | None = None,
        order: str = "NAME",
        descending: bool = False,
        trigrams: bool | None = None,
    ) -> tuple[str, list[Any]]:
        """The SQL (and its parameters) that reads one page; ``trigrams`` says whether
        a name search reads through a trigram index (by default, whenever it can)."""
        column = ORDERS.get(order)
        if column is None:
            raise BadInput(f"unknown order {order!r}")
        if trigrams is None:
            trigrams = self._by_trigrams(query)
        params = Params(self.dialect)
        where = self._where(query, params, trigrams)
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
        key, limit = self._order_key(column), int(first) + 1
        if trigrams:
            # The planner takes a search as matching names evenly and walks the
            # ordered name index until a page has matched, which reads most of the
            # table when the matches sort late; the trigram index finds them first
            # (PostgreSQL's GIN index, SQLite's FTS5 table: ``name_search``).
            sql = (
                f"WITH matched AS MATERIALIZED (SELECT id, {key} AS k FROM resources "
                f"WHERE {where}), chosen AS (SELECT id FROM matched "
                f"ORDER BY k {direction}, id {direction} LIMIT {limit}) "
                "SELECT r.* FROM resources r JOIN chosen ON r.id = chosen.id "
                f"ORDER BY {key} {direction}, r.id {direction}"
            )
            return sql, params.values
        sql = (
            f"SELECT * FROM resources WHERE {where} "
            f"ORDER BY {key} {direction}, id {direction} LIMIT {limit}"
        )
        return sql, params.values

    async def count(self, query: ResourceQuery) -> int:
        sql, values = self.count_statement(query, await self._trigrams(query))
        _, rows = await self.database.reader().execute_query(sql, values)
        return int(rows[0]["n"])

    def count_statement(
        self, query: ResourceQuery, trigrams: bool | None = None
    ) -> tuple[str, list[Any]]:
        """The SQL (and its parameters) that counts the matches (``trigrams``: as for
        :meth:`page_statement`)."""
        params = Params(self.dialect)
        where = self._where(
            query, params, self._by_trigrams(query) if trigrams is None else trigrams
        )
        if kept_count(query):
            sql = f"SELECT COALESCE(SUM(n), 0) AS n FROM resource_counts WHERE {where}"
        else:
            sql = f"SELECT COUNT(*) AS n FROM resources WHERE {where}"
        return sql, params.values

    async def count_by(self, query: ResourceQuery, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Counts grouped by ``columns`` (each one of the table's plain columns)."""
        for column in columns:
            if column not in COLUMNS or column in JSON_COLUMNS:
                raise BadInput(f"cannot group by {column!r}")
        params = Params(self.dialect)
        group = ", ".join(quote(c) for c in columns)
        where = self._where(query, params, await self._trigrams(query))
        if kept_count(query) and counted(columns):
            sql = (
                f"SELECT {group}, SUM(n) AS n FROM resource_counts WHERE {where} "
                f"GROUP BY {group} HAVING SUM(n) > 0"
            )
        else:
            sql = f"SELECT {group}, COUNT(*) AS n FROM resources WHERE {where} GROUP BY {group}"
        _, rows = await self.database.reader().execute_query(sql, params.values)
        return [{**r, "n": int(r["n"])} for r in rows]

    async def label_counts(self, query: ResourceQuery) -> list[tuple[str, str, int]]:
        """(key, value, number of matching resources) for every label in use, sorted."""
        params = Params(self.dialect)
        where = self._where(query, params, await self._trigrams(query))
        if self.dialect == "sqlite":
            pairs = "json_each(r.labels) AS l"
        else:
            pairs = "LATERAL jsonb_each_text(r.labels) AS l(key, value)"
        sql = (
            f"SELECT l.key AS key, l.value AS value, COUNT(*) AS n "
            f"FROM (SELECT labels FROM resources WHERE {where}) AS r CROSS JOIN {pairs} "
            "GROUP BY l.key, l.value ORDER BY l.key, l.value"
        )
        _, rows = await self.database.reader().execute_query(sql, params.values)
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
        _, rows = await self.database.reader().execute_query(sql, params.values)
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
            _, rows = await self.database.reader().execute_query(sql, params.values)
            for r in rows:
                found[(cluster_id, str(r["owner_uid"]))].append(self._stored(r))
        return found

    def _by_trigrams(self, query: ResourceQuery) -> bool:
        """Whether the query's name search can read the names through a trigram index."""
        if not query.search:
            return False
        if self.dialect == "postgres":
            return len(query.search) >= name_search.TRIGRAM
        return self.database.names_indexed and name_search.indexed(query.search)

    async def _trigrams(self, query: ResourceQuery) -> bool:
        """Whether it should: on SQLite, unless so many names match that reading them
        all in order is faster (``name_search.Probes``)."""
        if not self._by_trigrams(query) or query.search is None:
            return False
        if self.dialect == "postgres":
            return True
        return await self.probes.sparse(self.database.reader(), query.search)

    def _where(self, query: ResourceQuery, params: Params, trigrams: bool = False) -> str:
        clauses = ["1 = 1"]

        def among(column: str, values: Sequence[str]) -> None:
            clauses.append(f"{quote(column)} IN ({', '.join(params(v) for v in values)})")

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
            indexed = self.labels.predicate(params, requirement)
            clauses.append(indexed or label_predicate(params, requirement))
        if query.search:
            if trigrams and self.dialect == "sqlite":  # the index's candidates, then exactly
                clauses.append(name_search.narrowing(params, query.search))
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
            return f"COALESCE({quote(column)}, {sentinel})"
        return quote(column)

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


def quote(column: str) -> str:
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
