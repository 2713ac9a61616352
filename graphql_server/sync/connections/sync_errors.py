"""Sync errors in the event log: a cluster whose sync becomes DEGRADED, and recovers.

Owns following ``SYNC_TOPIC`` and recording each cluster's move into DEGRADED (with
the errors its resource types report) and out of it. Must not change any status.
"""

from __future__ import annotations

from graphql_server.events import SYNC_TOPIC, SyncStatusEvent
from graphql_server.store import Store
from graphql_server.sync.connections.notices import Notices


class SyncErrorLog:
    def __init__(self, store: Store, notices: Notices) -> None:
        self.store = store
        self.notices = notices
        self._phases: dict[str, str] = {}

    async def run(self) -> None:
        async with self.notices.broker.subscribe(SYNC_TOPIC) as updates:
            async for message in updates:
                if isinstance(message, SyncStatusEvent):
                    await self.phase(message.cluster_id, message.phase)

    async def phase(self, cluster_id: str, phase: str) -> None:
        before = self._phases.get(cluster_id)
        self._phases[cluster_id] = phase
        if phase == before or "DEGRADED" not in (phase, before):
            return
        cluster = await self.store.clusters.get(cluster_id)
        name = cluster.name if cluster else cluster_id
        if phase == "DEGRADED":
            kinds = await self.store.clusters.kinds(cluster_id)
            errors = [f"{k.resource_type}: {k.last_error}" for k in kinds if k.last_error]
            reason = (cluster.last_error if cluster else None) or "; ".join(errors[:3])
            message = f"sync of cluster {name!r} is degraded: {reason or 'unknown error'}"
            severity = "error"
        else:
            message = f"sync of cluster {name!r} recovered ({phase})"
            severity = "info"
        await self.notices.log(
            category="sync_error",
            subject_type="cluster",
            subject_id=cluster_id,
            subject_name=name,
            message=message,
            severity=severity,
        )
