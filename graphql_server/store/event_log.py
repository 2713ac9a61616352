"""The event log (notification centre): append entries, read them newest first.

Each registration, status change, connectivity test, credential change and sync error
is one :class:`events.LogEntry`. Callers publish the returned entry on ``LOG_TOPIC``;
this module only persists and queries. Details are scrubbed of fields that name secrets
as a second line of defence; callers must still never pass a secret value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from graphql_server.errors import BadInput
from graphql_server.events import LogEntry
from graphql_server.store.connection_models import EventLogEntry
from graphql_server.store.database import Database
from graphql_server.store.paging import check_first, decode_cursor, encode_cursor
from graphql_server.store.values import printable, usable_all

SEVERITIES = ("info", "warning", "error")
_CURSOR = "log"
_SECRET_KEYS = frozenset(
    {
        "token",
        "password",
        "kubeconfig",
        "secret",
        "data",
        "authorization",
        "client-key-data",
        "clientkeydata",
        "apikey",
        "api_key",
    }
)
MASK = "********"


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Every field narrows the result; empty fields select everything."""

    severities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subject_types: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    server_ids: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None

    def matches(self, entry: LogEntry) -> bool:
        """Whether a live entry meets the query, as :meth:`EventLogStore.page` would."""
        checks = (
            (self.severities, entry.severity),
            (self.categories, entry.category),
            (self.subject_types, entry.subject_type),
            (self.subject_ids, entry.subject_id),
            (self.actors, entry.actor),
            (self.server_ids, entry.server_id),
        )
        if any(wanted and value not in wanted for wanted, value in checks):
            return False
        if self.since is not None and entry.at < self.since:
            return False
        if self.until is not None and entry.at >= self.until:
            return False
        return not self.search or self.search.lower() in entry.message.lower()


def scrub(details: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``details`` with the values of secret-looking keys masked, recursively."""

    def clean(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                printable(str(k)): MASK if str(k).lower() in _SECRET_KEYS else clean(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return printable(value) if isinstance(value, str) else value

    result: dict[str, Any] = clean(details)
    return result


def _entry(row: EventLogEntry) -> LogEntry:
    return LogEntry(
        id=row.id,
        at=row.at,
        severity=row.severity,
        actor=row.actor,
        category=row.category,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        subject_name=row.subject_name,
        message=row.message,
        server_id=row.server_id,
        details=dict(row.details or {}),
    )


class EventLogStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(
        self,
        *,
        severity: str,
        actor: str,
        category: str,
        subject_type: str,
        subject_id: str,
        message: str,
        subject_name: str = "",
        server_id: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> LogEntry:
        if severity not in SEVERITIES:
            raise BadInput(f"unknown severity {severity!r}", field="severity")
        row = await EventLogEntry.create(
            at=datetime.now(UTC),
            severity=severity,
            actor=actor[:128],
            category=category[:64],
            subject_type=subject_type[:32],
            subject_id=printable(subject_id[:64]),
            subject_name=printable(subject_name[:253]),
            message=printable(message),
            server_id=server_id,
            details=scrub(details or {}),
        )
        return _entry(row)

    def _filtered(self, query: EventQuery) -> QuerySet[EventLogEntry]:
        rows = EventLogEntry.all()
        for column, values, limit in (
            ("severity", query.severities, 16),
            ("category", query.categories, 64),
            ("subject_type", query.subject_types, 32),
            ("subject_id", query.subject_ids, 64),
            ("actor", query.actors, 128),
            ("server_id", query.server_ids, 64),
        ):
            if values:
                rows = rows.filter(**{f"{column}__in": usable_all(values, limit)})
        if query.since is not None:
            rows = rows.filter(at__gte=query.since)
        if query.until is not None:
            rows = rows.filter(at__lt=query.until)
        if query.search:
            rows = rows.filter(Q(message__icontains=printable(query.search)))
        return rows

    async def page(
        self, query: EventQuery, first: int, after: str | None = None
    ) -> tuple[list[LogEntry], list[str], bool]:
        """Entries newest first, continuing after the cursor ``after``."""
        rows = self._filtered(query)
        if after:
            (last_id,) = decode_cursor(_CURSOR, after, 1)
            if not isinstance(last_id, int):
                raise BadInput("invalid cursor", field="after")
            rows = rows.filter(id__lt=last_id)
        found = await rows.order_by("-id").limit(check_first(first) + 1)
        entries = [_entry(row) for row in found[:first]]
        return entries, [encode_cursor(_CURSOR, e.id) for e in entries], len(found) > first

    async def count(self, query: EventQuery) -> int:
        return int(await self._filtered(query).count())

    async def for_subject(self, subject_id: str, limit: int = 100) -> list[LogEntry]:
        rows = await EventLogEntry.filter(subject_id=subject_id).order_by("-id").limit(limit)
        return [_entry(row) for row in rows]
