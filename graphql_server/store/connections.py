"""Connections of this server instance: create, discover, list, change, transition.

Every status change goes through :meth:`ConnectionStore.transition`, which validates
the move with :func:`lifecycle.plan_transition` and applies it as a compare-and-set
(``UPDATE ... WHERE id = ? AND status = <the status it was planned from>``), retrying
when another writer moved the connection in between. Concurrent transitions therefore
never produce a move the table does not allow, on SQLite and PostgreSQL alike.

Returns plain :class:`ConnectionRecord` values; must not decrypt credentials, publish
events or talk to anything but the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from graphql_server.errors import BadInput, Conflict, NotFound
from graphql_server.lifecycle import ConnectionStatus, Transition, parse_status, plan_transition
from graphql_server.store.connection_models import Connection, ConnectionEnvironment
from graphql_server.store.database import Database
from graphql_server.store.paging import check_first, decode_cursor, encode_cursor
from graphql_server.store.values import json_text, text, usable, usable_all

_CURSOR = "connections"
TRANSITION_ATTEMPTS = 50
ID_LENGTH = 36
IDENTITY_LENGTH = 512
MAX_VALUES = 500


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    id: str
    server_id: str
    kind: str
    name: str
    type: str
    sub_type: str
    url: str
    status: ConnectionStatus
    identity: str | None
    cluster_id: str | None
    credential_id: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ConnectionQuery:
    """Every field narrows; with no statuses, DELETED connections are left out."""

    kinds: tuple[str, ...] = ()
    statuses: tuple[ConnectionStatus, ...] = ()
    environment_ids: tuple[str, ...] = ()
    search: str | None = None
    ids: tuple[str, ...] | None = None
    cluster_ids: tuple[str, ...] = ()
    credential_ids: tuple[str, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()
    """Key-value pairs the connection's metadata must all hold."""


@dataclass(frozen=True, slots=True)
class ConnectionPage:
    records: list[ConnectionRecord]
    cursors: list[str]
    has_next: bool


@dataclass(frozen=True, slots=True)
class Changes:
    """Column changes applied together with a status change (``None``: unchanged)."""

    name: str | None = None
    url: str | None = None
    credential_id: str | None = None
    cluster_id: str | None = None
    metadata: dict[str, Any] | None = None
    merge_metadata: dict[str, Any] = field(default_factory=dict)


def _record(row: Connection) -> ConnectionRecord:
    return ConnectionRecord(
        id=row.id,
        server_id=row.server_id,
        kind=row.kind,
        name=row.name,
        type=row.type,
        sub_type=row.sub_type,
        url=row.url,
        status=parse_status(row.status),
        identity=row.identity,
        cluster_id=row.cluster_id,
        credential_id=row.credential_id,
        metadata=dict(row.metadata or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _limited(name: str, values: Sequence[str]) -> list[str]:
    if len(values) > MAX_VALUES:
        raise BadInput(f"{name} accepts at most {MAX_VALUES} values", field=name)
    return list(values)


class ConnectionStore:
    def __init__(self, database: Database, server_id: str) -> None:
        self.database = database
        self.server_id = server_id

    def _own(self) -> QuerySet[Connection]:
        return Connection.filter(server_id=self.server_id)

    # -- reading -------------------------------------------------------------------

    async def get(self, connection_id: str) -> ConnectionRecord | None:
        if not usable(connection_id, ID_LENGTH):
            return None
        row = await self._own().get_or_none(id=connection_id)
        return None if row is None else _record(row)

    async def require(self, connection_id: str) -> ConnectionRecord:
        record = await self.get(connection_id)
        if record is None:
            raise NotFound(f"no connection with id {connection_id}", id=connection_id)
        return record

    async def require_many(self, connection_ids: Sequence[str]) -> list[ConnectionRecord]:
        """The connections in the order given; NotFound names every missing id."""
        wanted = list(dict.fromkeys(_limited("connectionIds", connection_ids)))
        found = {r.id: r for r in await self.select(ConnectionQuery(ids=tuple(wanted)))}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(f"no connection with id {', '.join(missing)}", ids=missing)
        return [found[i] for i in wanted]

    async def by_identity(self, identity: str) -> ConnectionRecord | None:
        if not usable(identity, IDENTITY_LENGTH):
            return None
        row = await self._own().get_or_none(identity=identity)
        return None if row is None else _record(row)

    async def _filtered(self, query: ConnectionQuery) -> QuerySet[Connection]:
        rows = self._own()
        if query.kinds:
            rows = rows.filter(kind__in=usable_all(_limited("kinds", query.kinds), 32))
        if query.statuses:
            rows = rows.filter(status__in=[s.value for s in query.statuses])
        elif query.ids is None:
            rows = rows.exclude(status=ConnectionStatus.DELETED.value)
        if query.ids is not None:
            rows = rows.filter(id__in=usable_all(_limited("ids", query.ids), ID_LENGTH))
        if query.cluster_ids:
            rows = rows.filter(cluster_id__in=usable_all(query.cluster_ids, 64))
        if query.credential_ids:
            rows = rows.filter(credential_id__in=usable_all(query.credential_ids, ID_LENGTH))
        if query.environment_ids:
            members = await ConnectionEnvironment.filter(
                environment_id__in=usable_all(
                    _limited("environmentIds", query.environment_ids), ID_LENGTH
                )
            ).values_list("connection_id", flat=True)
            rows = rows.filter(id__in=[str(m) for m in members])
        if query.search:
            search = text(query.search, "search")
            rows = rows.filter(Q(name__icontains=search) | Q(url__icontains=search))
        if query.metadata:
            # JSON containment differs between dialects; a server's connections are few.
            found = await rows.values_list("id", "metadata")
            rows = rows.filter(
                id__in=[
                    str(row_id)
                    for row_id, metadata in found
                    if all((metadata or {}).get(k) == v for k, v in query.metadata)
                ]
            )
        return rows

    async def select(self, query: ConnectionQuery, limit: int = 1000) -> list[ConnectionRecord]:
        rows = await (await self._filtered(query)).order_by("name", "id").limit(limit)
        return [_record(row) for row in rows]

    async def page(
        self, query: ConnectionQuery, first: int, after: str | None = None
    ) -> ConnectionPage:
        """One page ordered by name then id, continuing after the cursor ``after``."""
        rows = await self._filtered(query)
        if after:
            name, last_id = decode_cursor(_CURSOR, after, 2)
            rows = rows.filter(Q(name__gt=name) | Q(name=name, id__gt=last_id))
        found = await rows.order_by("name", "id").limit(check_first(first) + 1)
        records = [_record(row) for row in found[:first]]
        cursors = [encode_cursor(_CURSOR, r.name, r.id) for r in records]
        return ConnectionPage(records, cursors, len(found) > first)

    async def count(self, query: ConnectionQuery) -> int:
        return int(await (await self._filtered(query)).count())

    async def status_counts(self, query: ConnectionQuery) -> dict[ConnectionStatus, int]:
        """Connections per status among those the query selects, ignoring its statuses."""
        everything = replace(query, statuses=tuple(ConnectionStatus))
        rows = await (
            (await self._filtered(everything))
            .annotate(n=Count("id"))
            .group_by("status")
            .values("status", "n")
        )
        counts = dict.fromkeys(ConnectionStatus, 0)
        for row in rows:
            counts[parse_status(row["status"])] = int(row["n"])
        return counts

    async def referring_to_cluster(
        self, cluster_id: str, *, kind: str = "kubernetes", exclude: str | None = None
    ) -> list[ConnectionRecord]:
        """Connections of any server instance (not deleted) that reach ``cluster_id``."""
        if not usable(cluster_id, 64):
            return []
        rows = Connection.filter(cluster_id=cluster_id, kind=kind).exclude(
            status=ConnectionStatus.DELETED.value
        )
        if exclude is not None:
            rows = rows.exclude(id=exclude)
        return [_record(row) for row in await rows]

    # -- writing -------------------------------------------------------------------

    async def create(
        self,
        *,
        kind: str,
        name: str,
        status: ConnectionStatus,
        url: str = "",
        type: str = "",
        sub_type: str = "",
        identity: str | None = None,
        cluster_id: str | None = None,
        credential_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ConnectionRecord:
        try:
            row = await Connection.create(
                id=str(uuid.uuid4()),
                server_id=self.server_id,
                kind=kind,
                name=text(name, "name"),
                type=type,
                sub_type=sub_type,
                url=text(url, "url"),
                status=status.value,
                identity=identity,
                cluster_id=cluster_id,
                credential_id=credential_id,
                metadata=json_text(dict(metadata or {}), "metadata"),
            )
        except IntegrityError:
            raise Conflict(
                f"a connection for {identity} already exists", identity=identity
            ) from None
        return _record(row)

    async def discover(
        self,
        *,
        identity: str,
        kind: str,
        name: str,
        url: str,
        type: str = "",
        sub_type: str = "",
        cluster_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> tuple[ConnectionRecord, bool]:
        """Find or create the connection for something discovered; True when created.

        An existing connection keeps its status and registration; its discovery
        metadata (``metadata`` keys) and URL are refreshed only while it is DISCOVERED.
        """
        for _ in range(3):
            existing = await self.by_identity(identity)
            if existing is None:
                try:
                    created = await self.create(
                        kind=kind,
                        name=name,
                        url=url,
                        type=type,
                        sub_type=sub_type,
                        status=ConnectionStatus.DISCOVERED,
                        identity=identity,
                        cluster_id=cluster_id,
                        metadata=metadata,
                    )
                except Conflict:
                    continue  # discovered at the same moment by another writer
                return created, True
            fresh = dict(existing.metadata) | dict(metadata or {})
            if existing.status is ConnectionStatus.DISCOVERED and (
                fresh != existing.metadata or url != existing.url
            ):
                existing = await self.update(existing.id, Changes(url=url, metadata=fresh))
            return existing, False
        raise Conflict(f"the connection for {identity} keeps changing; try again")

    async def update(self, connection_id: str, changes: Changes) -> ConnectionRecord:
        """Change columns other than the status (which only :meth:`transition` moves)."""
        record = await self.require(connection_id)
        values = self._values(record, changes)
        if values:
            values["updated_at"] = datetime.now(UTC)
            await self._own().filter(id=connection_id).update(**values)
            record = self._apply(record, values)
        return record

    async def merge_metadata(
        self, record: ConnectionRecord, merge: Mapping[str, Any]
    ) -> ConnectionRecord:
        """Merge keys into the metadata of ``record``'s connection: one statement while
        the connection is as ``record`` read it, else as :meth:`update` does."""
        values = self._values(record, Changes(merge_metadata=dict(merge)))
        if not values:
            return record
        values["updated_at"] = datetime.now(UTC)
        unchanged = self._own().filter(
            id=record.id, status=record.status.value, updated_at=record.updated_at
        )
        if await unchanged.update(**values) == 1:
            return self._apply(record, values)
        return await self.update(record.id, Changes(merge_metadata=dict(merge)))

    async def transition(
        self,
        connection_id: str,
        target: ConnectionStatus | str,
        changes: Changes | None = None,
        *,
        expected: ConnectionStatus | None = None,
    ) -> tuple[ConnectionRecord, Transition]:
        """Move a connection to ``target`` with ``changes``, atomically.

        Raises :class:`InvalidTransition` when the table forbids the move from the
        current status (or the status is not ``expected``, when given) and changes
        nothing. A move to the current status is a no-op that still applies
        ``changes``.
        """
        goal = parse_status(target)
        for _ in range(TRANSITION_ATTEMPTS):
            record = await self.require(connection_id)
            if expected is not None and record.status is not expected:
                plan_transition(expected, goal)  # still reject an illegal request as such
                raise Conflict(
                    f"connection {connection_id} is {record.status.name}, not {expected.name}",
                    status=record.status.value,
                )
            plan = plan_transition(record.status, goal)
            values = self._values(record, changes or Changes())
            if plan.changed:
                values["status"] = goal.value
                if goal is ConnectionStatus.DELETED:
                    values["identity"] = None  # what was discovered may be discovered again
            if not values:
                return record, plan
            values["updated_at"] = datetime.now(UTC)
            updated = (
                await self._own()
                .filter(id=connection_id, status=record.status.value)
                .update(**values)
            )
            if updated == 1:
                return self._apply(record, values), plan
        raise Conflict(f"connection {connection_id} keeps changing; try again")

    async def assign_credential(
        self, credential_id: str | None, connection_ids: Sequence[str]
    ) -> list[ConnectionRecord]:
        records = await self.require_many(connection_ids)
        await (
            self._own()
            .filter(id__in=[r.id for r in records])
            .update(credential_id=credential_id, updated_at=datetime.now(UTC))
        )
        return [replace(r, credential_id=credential_id) for r in records]

    async def detach_credential(self, credential_id: str) -> int:
        """Unset a credential on every connection (of every server instance) using it."""
        return int(
            await Connection.filter(credential_id=credential_id).update(
                credential_id=None, updated_at=datetime.now(UTC)
            )
        )

    async def credential_users(self, credential_id: str) -> int:
        """Connections (not deleted, of every server instance) using a credential."""
        return int(
            await Connection.filter(credential_id=credential_id)
            .exclude(status=ConnectionStatus.DELETED.value)
            .count()
        )

    # -- helpers -------------------------------------------------------------------

    @staticmethod
    def _values(record: ConnectionRecord, changes: Changes) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in ("name", "url", "credential_id", "cluster_id"):
            value = getattr(changes, name)
            if value is not None and value != getattr(record, name):
                values[name] = text(value, name)
        metadata = dict(record.metadata if changes.metadata is None else changes.metadata)
        metadata.update(changes.merge_metadata)
        if metadata != record.metadata:
            values["metadata"] = json_text(metadata, "metadata")
        return values

    @staticmethod
    def _apply(record: ConnectionRecord, values: Mapping[str, Any]) -> ConnectionRecord:
        changed = dict(values)
        if "status" in changed:
            changed["status"] = parse_status(changed["status"])
        changed.setdefault("updated_at", datetime.now(UTC))
        return replace(record, **changed)
