"""GraphQL types of the event log (the notification centre)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.enums import Severity
from graphql_server.api.pages import PageInfo
from graphql_server.events import LogEntry
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.health_checking import ACTOR as HEALTH_ACTOR


@strawberry.type(description="An entry of the event log: what happened, to what, by whom.")
class LogEvent:
    id: strawberry.ID
    at: datetime
    severity: Severity
    actor: str
    category: str
    subject_type: str
    subject_id: str
    subject_name: str
    message: str
    server_id: str
    details: JSON
    read: bool = strawberry.field(description="Whether it was marked read (a repeat unmarks).")
    count: int = strawberry.field(description="Occurrences grouped into this entry.")
    first_at: datetime = strawberry.field(description="When it first occurred (``at``).")
    last_at: datetime = strawberry.field(description="When it last occurred.")
    probable_cause: str | None = strawberry.field(
        description="Why it probably failed, where the server knows."
    )
    suggested_fix: str | None = strawberry.field(
        description="What to do about it, where the server knows."
    )

    @classmethod
    def of(cls, entry: LogEntry, reader: bool = False) -> LogEvent:
        """The entry as the caller may see it: read-only callers get a connectivity
        finding as its outcome only (reachable or not), never the probe's message,
        cause or fix, which would map what the server can reach."""
        if reader and _is_finding(entry):
            entry = _outcome_only(entry)
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=entry.at,
            severity=Severity(entry.severity),
            actor=entry.actor,
            category=entry.category,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            subject_name=entry.subject_name,
            message=entry.message,
            server_id=entry.server_id,
            details=JSON(dict(entry.details)),
            read=entry.read,
            count=entry.count,
            first_at=entry.first_at or entry.at,
            last_at=entry.last_at or entry.at,
            probable_cause=entry.probable_cause or None,
            suggested_fix=entry.suggested_fix or None,
        )


@strawberry.type
class LogEventEdge:
    cursor: str
    node: LogEvent


@strawberry.type(description="A page of the event log, newest first.")
class LogEventPage:
    edges: list[LogEventEdge]
    page_info: PageInfo
    total_count: int


def _is_finding(entry: LogEntry) -> bool:
    """An entry made of what a connectivity test found."""
    if entry.category == "connectivity_test":
        return True
    return entry.category == "status_change" and entry.actor == HEALTH_ACTOR


def _outcome_only(entry: LogEntry) -> LogEntry:
    details = dict(entry.details)
    if entry.category == "connectivity_test":
        ok = bool(details.get("ok"))
        outcome = "reachable" if ok else "unreachable"
        message = f"connectivity test of {entry.subject_name!r}: {outcome}"
        kept: dict[str, object] = {"ok": ok}
    else:
        reached = details.get("to") == ConnectionStatus.CONNECTED.value
        outcome = "reachable" if reached else "unreachable"
        message = (
            f"connection {entry.subject_name!r} moved from {details.get('from')} "
            f"to {details.get('to')}: {outcome}"
        )
        kept = {k: details[k] for k in ("from", "to") if k in details}
    return replace(entry, message=message, details=kept, probable_cause="", suggested_fix="")
