"""Where a cluster's sync sends its operations and its progress.

In one process both go to the store (the batching ``Writer`` and the
``SyncTracker``); in a discovery agent they go to the operations stream
(``sync.scaleout.publishing``). ``ClusterSync`` depends on these two protocols only.
"""

from __future__ import annotations

from typing import Protocol

from graphql_server.kube.discovery import ResourceType
from graphql_server.sync.writer import Operation


class OperationSink(Protocol):
    async def put(self, operation: Operation) -> None:
        """Take an operation, waiting while full (backpressure, never loss)."""


class ProgressSink(Protocol):
    def track(self, cluster_id: str, resource_type: ResourceType, count: int) -> None:
        """A type is being watched (``count`` objects of it are stored, where known)."""

    def report(self, cluster_id: str, type_name: str, phase: str, error: str | None = None) -> None:
        """A type's phase (SYNCING, SYNCED, DEGRADED) and last error."""

    def forget(self, cluster_id: str, type_name: str) -> None:
        """A type is no longer served."""

    def stopped(self, cluster_id: str) -> None:
        """The cluster is no longer watched by this process."""

    def set_cluster_error(self, cluster_id: str, error: str | None) -> None:
        """The whole cluster's sync is in trouble (``error``), or no longer (None)."""
