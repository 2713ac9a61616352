"""Messages that flow from the writer and the mutations to subscribers.

Plain frozen dataclasses with no behaviour beyond (de)serialisation to dicts, so
that the in-process broker can hand them over as they are and a network broker
can encode them. Nothing here performs I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

RESOURCES_TOPIC = "resources"
SYNC_TOPIC = "sync"
CONNECTIONS_TOPIC = "connections"
LOG_TOPIC = "log"
COMMANDS_TOPIC = "commands"

LOG_CATEGORIES = (
    "registration", "status_change", "connectivity_test", "connection", "credential",
    "environment", "discovery", "sync", "sync_error",
)  # fmt: skip
"""Every category of event log entries (what the ``events`` filter accepts)."""
LOG_SUBJECT_TYPES = ("connection", "credential", "environment", "endpoint", "cluster")
"""Every subject type of event log entries."""


class ResourceEventType(StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


class SyncPhase(StrEnum):
    """Where the sync of a cluster or resource type stands."""

    PENDING = "PENDING"
    SYNCING = "SYNCING"
    SYNCED = "SYNCED"
    DEGRADED = "DEGRADED"
    STOPPED = "STOPPED"


class Severity(StrEnum):
    """How much an event log entry matters, from SUCCESS to CRITICAL."""

    SUCCESS = "success"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class ResourceEvent:
    """A committed change of one stored resource.

    ``resource`` is the stored row as a plain dict (the store's column names);
    ``previous_labels`` and ``previous_namespace`` let a subscriber tell whether an
    object left its filter.
    """

    type: ResourceEventType
    cluster_id: str
    uid: str
    resource: dict[str, Any]
    previous_labels: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class SyncStatusEvent:
    """The sync phase of one cluster changed, or its counts moved."""

    cluster_id: str
    phase: str
    resource_count: int
    kinds: tuple[dict[str, Any], ...] = ()
    error: str | None = None  # why the cluster is DEGRADED


@dataclass(frozen=True, slots=True)
class ClusterCommand:
    """A request to the sync side: ``resync`` a cluster, ``start`` or ``stop`` its watches."""

    action: str
    cluster_id: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Missed:
    """Sent to a subscriber in place of the events it was too slow to take."""

    topic: str
    dropped: int


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """A connection was created, changed, moved to another status or deleted.

    ``type`` is ``CREATED``, ``UPDATED``, ``STATUS_CHANGED`` or ``DELETED``;
    ``previous_status`` is set for status changes. Statuses are the lifecycle's values.
    """

    type: str
    connection_id: str
    kind: str
    status: str
    server_id: str
    previous_status: str | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of the event log (the notification centre); never holds a secret."""

    id: int
    at: datetime
    severity: str
    actor: str
    category: str
    subject_type: str
    subject_id: str
    subject_name: str
    message: str
    server_id: str
    details: dict[str, Any] = field(default_factory=dict)
    read: bool = False
    count: int = 1  # occurrences grouped into this entry, from ``first_at`` to ``last_at``
    first_at: datetime | None = None  # None: ``at``
    last_at: datetime | None = None  # None: ``at``
    probable_cause: str = ""
    suggested_fix: str = ""


@dataclass(frozen=True, slots=True)
class LogChange:
    """Entries of the event log were marked read or unread, or deleted (``count`` of them)."""

    action: str
    count: int
