"""Sync status per cluster and resource type: phases, counts, last event, last error.

Kept in memory where the loops report it, persisted to the store at most once
a second, and published on the broker when it changes (even while the store
cannot save it: the status of a writer that cannot commit must still be heard).

A type is DEGRADED while its reflector says so, or while the database refuses one
of its rows (``refused``); every cluster is DEGRADED while the writer cannot commit
(``writer_unavailable``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from graphql_server.broker import Broker
from graphql_server.events import (
    SYNC_TOPIC,
    ResourceEvent,
    ResourceEventType,
    SyncPhase,
    SyncStatusEvent,
)
from graphql_server.kube.discovery import ResourceType
from graphql_server.store import Store
from graphql_server.store.faults import describe

log = logging.getLogger(__name__)

PHASES = tuple(phase.value for phase in SyncPhase)


@dataclass(slots=True)
class KindState:
    resource_type: ResourceType
    phase: str = "PENDING"
    count: int = 0
    events: int = 0  # events applied since this process started watching the type
    last_event_at: datetime | None = None
    last_error: str | None = None
    refused: str | None = None  # why the database refused a row of this type

    @property
    def status(self) -> str:
        """The phase shown: DEGRADED while a row is refused, else the reflector's."""
        if self.refused and self.phase not in ("STOPPED", "DEGRADED"):
            return "DEGRADED"
        return self.phase

    @property
    def error(self) -> str | None:
        return self.last_error or self.refused


@dataclass(slots=True)
class ClusterState:
    kinds: dict[str, KindState]
    stopped: bool = False
    error: str | None = None
    store_error: str | None = None  # the writer cannot commit
    unheard: str | None = None  # an error set since the last flush, perhaps cleared since
    indexing: bool = False  # the first load's indexes are being built (``store.bulk_load``)

    @property
    def phase(self) -> str:
        if self.stopped:
            return "STOPPED"
        phases = {k.status for k in self.kinds.values()}
        if self.error or self.store_error or "DEGRADED" in phases:
            return "DEGRADED"
        if not phases or phases & {"PENDING", "SYNCING"} or self.indexing:
            return "SYNCING"
        return "SYNCED"

    @property
    def listed(self) -> bool:
        """Every type has been listed and stored (whatever happened since)."""
        return bool(self.kinds) and not {k.status for k in self.kinds.values()} & {
            "PENDING",
            "SYNCING",
        }

    @property
    def reason(self) -> str | None:
        """The first error explaining a DEGRADED phase."""
        errors = [k.error for k in self.kinds.values() if k.status == "DEGRADED"]
        return self.error or self.store_error or next((e for e in errors if e), None)


PHASE_COALESCING = 0.05  # seconds: phase moves this close together are saved together


class SyncTracker:
    def __init__(self, store: Store, broker: Broker, interval: float = 1.0) -> None:
        self.store = store
        self.broker = broker
        self.interval = interval
        self.clusters: dict[str, ClusterState] = {}
        self._dirty: set[str] = set()
        self._forgotten: set[tuple[str, str]] = set()
        self._flushing = asyncio.Lock()
        self._changed = asyncio.Event()
        self.writer_unavailable: str | None = None
        self.indexing = False
        self._reported = asyncio.Event()  # a cluster's state changed
        self._moved = asyncio.Event()  # a cluster's phase is not the one last told
        self._told: dict[str, str] = {}  # cluster -> the phase last saved (or tried) and published

    def cluster(self, cluster_id: str) -> ClusterState:
        state = self.clusters.get(cluster_id)
        if state is None:
            state = ClusterState(
                kinds={}, store_error=self.writer_unavailable, indexing=self.indexing
            )
            self.clusters[cluster_id] = state
        return state

    def track(self, cluster_id: str, resource_type: ResourceType, count: int) -> None:
        state = self.cluster(cluster_id)
        state.stopped = False
        kind = state.kinds.get(resource_type.name)
        if kind is None:
            state.kinds[resource_type.name] = KindState(resource_type, count=count)
        else:
            kind.resource_type, kind.count = resource_type, count
        self._mark(cluster_id)

    def forget(self, cluster_id: str, type_name: str) -> None:
        self.cluster(cluster_id).kinds.pop(type_name, None)
        self._forgotten.add((cluster_id, type_name))
        self._mark(cluster_id)

    def report(self, cluster_id: str, type_name: str, phase: str, error: str | None = None) -> None:
        kind = self.cluster(cluster_id).kinds.get(type_name)
        if kind is None:
            return
        if phase == "DEGRADED":
            kind.last_error = error
        elif phase == "SYNCED":
            kind.last_error = None
        if kind.phase != phase or error:
            kind.phase = phase
            self._mark(cluster_id)

    def set_cluster_error(self, cluster_id: str, error: str | None) -> None:
        """The cluster's own error (its versions went backwards), or None once repaired.
        An error is heard even if it is cleared before the next flush."""
        state = self.cluster(cluster_id)
        state.error = error
        if error:
            state.unheard = error
        self._mark(cluster_id)

    def stopped(self, cluster_id: str) -> None:
        state = self.cluster(cluster_id)
        state.stopped = True
        for kind in state.kinds.values():
            kind.phase = "STOPPED"
        self._mark(cluster_id)

    def applied(self, events: list[ResourceEvent]) -> None:
        now = datetime.now(UTC)
        for event in events:
            state = self.clusters.get(event.cluster_id)
            if state is None:
                continue
            kind = state.kinds.get(event.resource["resource_type"])
            if kind is None:
                continue
            if event.type is ResourceEventType.ADDED:
                kind.count += 1
            elif event.type is ResourceEventType.DELETED:
                kind.count = max(0, kind.count - 1)
            kind.events += 1
            kind.last_event_at = now
            self._dirty.add(event.cluster_id)
        if events:
            self._changed.set()

    def rejected(self, cluster_id: str, type_name: str, error: str) -> None:
        kind = self.cluster(cluster_id).kinds.get(type_name)
        if kind is not None:
            kind.refused = f"refused by the database: {error}"[:500]
            self._mark(cluster_id)

    def settled(self, cluster_id: str, type_name: str) -> None:
        """Every refused row of the type has landed since (or is gone)."""
        kind = self.cluster(cluster_id).kinds.get(type_name)
        if kind is not None and kind.refused is not None:
            kind.refused = None
            self._mark(cluster_id)

    def writer_health(self, error: str | None) -> None:
        """The writer cannot commit (``error``), or can again (None): every cluster's."""
        self.writer_unavailable = error
        for cluster_id, state in self.clusters.items():
            state.store_error = None if error is None else f"cannot save changes: {error}"
            self._mark(cluster_id)

    def set_indexing(self, indexing: bool) -> None:
        """While the first load's indexes are pending, no cluster reads SYNCED."""
        self.indexing = indexing
        for cluster_id, state in self.clusters.items():
            state.indexing = indexing
            self._mark(cluster_id)

    def all_listed(self) -> bool:
        """Every cluster watched has listed and stored every type at least once."""
        states = [s for s in self.clusters.values() if not s.stopped]
        return bool(states) and all(state.listed for state in states)

    async def wait_all_listed(self, seconds: float) -> bool:
        """Wait until ``all_listed`` (True), or for ``seconds`` at most (False)."""
        try:
            async with asyncio.timeout(seconds):
                while not self.all_listed():
                    self._reported.clear()
                    await self._reported.wait()
        except TimeoutError:
            return False
        return True

    def degraded(self) -> list[str]:
        """Ids of the clusters whose sync is DEGRADED, sorted."""
        return sorted(c for c, state in self.clusters.items() if state.phase == "DEGRADED")

    def _mark(self, cluster_id: str) -> None:
        self._dirty.add(cluster_id)
        self._changed.set()
        self._reported.set()
        state = self.clusters.get(cluster_id)
        if state is not None and state.phase != self._told.get(cluster_id):
            self._moved.set()

    async def run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            self._moved.clear()
            await self.flush()
            await self._pause()

    async def _pause(self) -> None:
        """Counts move all the time during a sync: they are saved at most once an
        interval. A cluster whose phase moved (SYNCED, DEGRADED ...) is saved at once."""
        try:
            async with asyncio.timeout(self.interval):
                await self._moved.wait()
        except TimeoutError:
            return
        await asyncio.sleep(min(PHASE_COALESCING, self.interval))  # a burst of moves, saved once

    async def flush(self) -> None:
        """Save and publish what changed; returns once every earlier change is saved."""
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for cluster_id in dirty:
            state = self.clusters.get(cluster_id)
            if state is None:
                continue
            try:
                await self._persist(cluster_id, state)
            except Exception as exc:
                log.warning(
                    "cannot save the sync status of cluster %s: %s",
                    cluster_id,
                    describe(exc),
                    extra={"cluster_id": cluster_id},
                )
                self._dirty.add(cluster_id)  # saved with the next change
            unheard, state.unheard = state.unheard, None
            if unheard and state.phase != "DEGRADED":
                await self.broker.publish(
                    SYNC_TOPIC,
                    SyncStatusEvent(
                        cluster_id=cluster_id,
                        phase="DEGRADED",
                        resource_count=sum(k.count for k in state.kinds.values()),
                        error=unheard,
                    ),
                )
            phase = state.phase
            # Told once: a phase that cannot be saved (the database is away) is tried
            # again at the interval, not at every change meanwhile.
            self._told[cluster_id] = phase
            await self.broker.publish(
                SYNC_TOPIC,
                SyncStatusEvent(
                    cluster_id=cluster_id,
                    phase=phase,
                    resource_count=sum(k.count for k in state.kinds.values()),
                    error=state.reason if phase == "DEGRADED" else None,
                ),
            )

    async def _persist(self, cluster_id: str, state: ClusterState) -> None:
        for forgotten in [f for f in self._forgotten if f[0] == cluster_id]:
            if forgotten[1] not in state.kinds:
                await self.store.clusters.forget_kind(*forgotten)
            self._forgotten.discard(forgotten)
        records = [
            {
                "cluster_id": cluster_id,
                "resource_type": name,
                "api_version": kind.resource_type.api_version,
                "kind": kind.resource_type.kind,
                "phase": kind.status,
                "resource_count": kind.count,
                "last_event_at": kind.last_event_at,
                "last_error": kind.error,
            }
            for name, kind in state.kinds.items()
        ]
        # One instant's state: the phase saved after the counts must not be newer
        # than they are (a SYNCED beside the counts of a load still going on).
        phase, error = state.phase, state.error or state.store_error
        await self.store.clusters.save_kinds(records)
        await self.store.clusters.set_phase(cluster_id, phase, error)
