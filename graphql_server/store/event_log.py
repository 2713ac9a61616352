"""The event log (notification centre): append entries, read them newest first, mark
them read or unread, delete them.

Each registration, status change, connectivity test, credential change and sync error
is one :class:`events.LogEntry`; a repeat of the latest entry of a subject (same
severity, category and message, within :data:`GROUP_WINDOW`) is grouped into it (its
count and last time grow, and it is unread again) rather than added. Callers publish
the returned entry on ``LOG_TOPIC``; this module only persists and queries. Details
are scrubbed of fields that name secrets as a second line of defence; callers must
still never pass a secret value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from graphql_server.errors import BadInput
from graphql_server.events import LogEntry, Severity
from graphql_server.store.connection_models import EventLogEntry
from graphql_server.store.database import Database
from graphql_server.store.paging import check_first, decode_cursor, encode_cursor
from graphql_server.store.values import printable, usable_all

SEVERITIES = tuple(severity.value for severity in Severity)
GROUP_WINDOW = timedelta(hours=1)
MAX_IDS = 1000
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
    read: bool | None = None

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
        if self.read is not None and entry.read != self.read:
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
        read=bool(row.read),
        count=row.occurrences,
        first_at=row.first_at or row.at,
        last_at=row.last_at or row.at,
        probable_cause=row.probable_cause,
        suggested_fix=row.suggested_fix,
    )


def event_ids(ids: Sequence[str]) -> list[int]:
    """Entry ids given as text; ``BadInput`` for one that is no entry id."""
    if len(ids) > MAX_IDS:
        raise BadInput(f"ids accepts at most {MAX_IDS} values", field="ids")
    try:
        numbers = [int(i) for i in ids]
    except ValueError:
        numbers = [0]
    if not all(0 < n < 2**63 for n in numbers):
        raise BadInput("ids must be event log entry ids", field="ids")
    return numbers


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
        probable_cause: str = "",
        suggested_fix: str = "",
    ) -> LogEntry:
        """Append an entry, or group it into the latest entry of its subject it repeats."""
        if severity not in SEVERITIES:
            raise BadInput(f"unknown severity {severity!r}", field="severity")
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "severity": severity,
            "category": category[:64],
            "subject_type": subject_type[:32],
            "subject_id": printable(subject_id[:64]),
            "subject_name": printable(subject_name[:253]),
            "message": printable(message),
            "server_id": server_id,
            "probable_cause": printable(probable_cause),
            "suggested_fix": printable(suggested_fix),
        }
        cleaned = scrub(details or {})
        latest = (
            await EventLogEntry.filter(
                subject_type=values["subject_type"], subject_id=values["subject_id"]
            )
            .order_by("-id")
            .first()
        )
        if latest is not None and _repeats(latest, values, now):
            await EventLogEntry.filter(id=latest.id).update(
                occurrences=F("occurrences") + 1, last_at=now, read=False, details=cleaned
            )
            return _entry(await EventLogEntry.get(id=latest.id))
        row = await EventLogEntry.create(
            at=now, first_at=now, last_at=now, actor=actor[:128], details=cleaned, **values
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
        if query.read is not None:
            rows = rows.filter(read=query.read)
        return rows

    def _selected(
        self, ids: Sequence[str] | None, query: EventQuery | None
    ) -> QuerySet[EventLogEntry]:
        """Entries with one of ``ids`` (when given) that ``query`` selects (when given)."""
        if ids is None and query is None:
            raise BadInput("give ids, a filter or both", field="ids")
        rows = self._filtered(query or EventQuery())
        return rows if ids is None else rows.filter(id__in=event_ids(ids))

    async def mark(
        self, read: bool, ids: Sequence[str] | None = None, query: EventQuery | None = None
    ) -> int:
        """Mark entries read (or unread); how many changed."""
        rows = self._selected(ids, query).filter(read=not read)
        return int(await rows.update(read=read))

    async def delete(
        self, ids: Sequence[str] | None = None, query: EventQuery | None = None
    ) -> int:
        """Delete entries; how many were deleted."""
        return int(await self._selected(ids, query).delete())

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

    async def prune_chunk(self, older_than: datetime, keep: int, chunk: int) -> int:
        """Delete at most ``chunk`` of the oldest entries last seen before ``older_than``
        or beyond the newest ``keep``; how many were deleted (0: nothing is left to)."""
        found = await (
            EventLogEntry.filter(last_at__lt=older_than)
            .order_by("id")
            .limit(chunk)
            .values_list("id", flat=True)
        )
        if not found:
            beyond = await (
                EventLogEntry.all()
                .order_by("-id")
                .offset(keep)
                .limit(1)
                .values_list("id", flat=True)
            )
            if beyond:
                found = await (
                    EventLogEntry.filter(id__lte=beyond[0])
                    .order_by("id")
                    .limit(chunk)
                    .values_list("id", flat=True)
                )
        if not found:
            return 0
        return int(await EventLogEntry.filter(id__in=list(found)).delete())


def _repeats(latest: EventLogEntry, values: Mapping[str, Any], now: datetime) -> bool:
    same = all(
        getattr(latest, name) == values[name]
        for name in ("severity", "category", "subject_name", "message", "server_id")
    )
    return same and (latest.last_at or latest.at) >= now - GROUP_WINDOW
