"""Sync errors in the event log: a cluster whose sync becomes DEGRADED, and recovers.

Owns following ``SYNC_TOPIC`` and recording each cluster's move into DEGRADED (with
the error the status event carries, else the errors its resource types report) and
out of it: one entry per change of state. An entry that cannot be written (the
database is away: often the very reason for the DEGRADED) is retried with backoff
until it is, so the outage is on record once the database is back. Must not change
any status.
"""

from __future__ import annotations

import logging

from graphql_server.events import SYNC_TOPIC, SyncStatusEvent
from graphql_server.retrying import Backoff, retry
from graphql_server.store import Store
from graphql_server.store.faults import describe, is_transient
from graphql_server.sync.connections.notices import Notices

log = logging.getLogger(__name__)


class SyncErrorLog:
    def __init__(self, store: Store, notices: Notices) -> None:
        self.store = store
        self.notices = notices
        self._phases: dict[str, str] = {}

    async def run(self) -> None:
        async with self.notices.broker.subscribe(SYNC_TOPIC) as updates:
            async for message in updates:
                if isinstance(message, SyncStatusEvent):
                    await self.phase(message.cluster_id, message.phase, message.error)

    async def phase(self, cluster_id: str, phase: str, error: str | None = None) -> None:
        before = self._phases.get(cluster_id)
        self._phases[cluster_id] = phase
        if phase == before or "DEGRADED" not in (phase, before):
            return

        async def transient(exc: BaseException) -> bool:
            return is_transient(exc)

        await retry(
            lambda: self._record(cluster_id, phase, error),
            Backoff(0.2, 10.0),
            when=transient,
            on_retry=lambda exc, delay: log.warning(
                "cannot record a sync status change of %s (%s); retrying in %.1fs",
                cluster_id,
                describe(exc),
                delay,
                extra={"cluster_id": cluster_id},
            ),
        )

    async def _record(self, cluster_id: str, phase: str, error: str | None) -> None:
        cluster = await self.store.clusters.get(cluster_id)
        name = cluster.name if cluster else cluster_id
        if phase == "DEGRADED":
            reason = error
            if not reason:
                kinds = await self.store.clusters.kinds(cluster_id)
                errors = [f"{k.resource_type}: {k.last_error}" for k in kinds if k.last_error]
                reason = (cluster.last_error if cluster else None) or "; ".join(errors[:3])
            message = f"sync of cluster {name!r} is degraded: {reason or 'unknown error'}"
            severity = "error"
        else:
            message = f"sync of cluster {name!r} recovered ({phase})"
            severity = "success"
        await self.notices.log(
            category="sync_error",
            subject_type="cluster",
            subject_id=cluster_id,
            subject_name=name,
            message=message,
            severity=severity,
            details={"phase": phase},
        )
