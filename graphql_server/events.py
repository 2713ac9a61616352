"""Messages that flow from the writer and the mutations to subscribers.

Plain frozen dataclasses with no behaviour beyond (de)serialisation to dicts, so
that the in-process broker can hand them over as they are and a network broker
can encode them. Nothing here performs I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RESOURCES_TOPIC = "resources"
SYNC_TOPIC = "sync"
CONNECTIONS_TOPIC = "connections"
LOG_TOPIC = "log"
COMMANDS_TOPIC = "commands"


class ResourceEventType(StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


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
