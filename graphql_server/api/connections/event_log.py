"""GraphQL types of the event log (the notification centre)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.pages import PageInfo
from graphql_server.events import LogEntry


@strawberry.enum(description="How much an event log entry matters, from SUCCESS to CRITICAL.")
class Severity(Enum):
    SUCCESS = "success"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


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
    def of(cls, entry: LogEntry) -> LogEvent:
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
