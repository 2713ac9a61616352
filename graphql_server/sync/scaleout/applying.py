"""The store writer of the scale-out setup: the operations stream applied to the store.

Owns consuming the operations stream, as the one writer among the replicas (the
``writer`` lease), into the batching ``Writer``: operations go in, in stream order;
once the writer has committed them and their events are in the events stream, the
position reached is saved and the messages are acknowledged (explicit acks, after
commit). A writer that dies in the middle of a batch leaves a mark: its successor
tells every replica's subscribers to refetch, as the batch's events may be lost.
The sync status is kept from the holders' progress messages (``SyncTracker``).

Nothing can be applied twice or out of turn:
- the store skips rows that are not newer than what it holds (``store.versions``);
- a message at or below its cluster's saved producer position (lease epoch, batch)
  is a replay or a redelivery and is skipped; one from an older epoch comes from a
  former holder of the cluster's lease and is ignored (fencing);
- a writer that takes over starts a new consumer at the saved cursor, so messages
  are always applied in stream order.
A sweep too large for one message arrives in parts; nothing past its first part is
recorded as done until its last part has been applied. When the stream no longer
holds what the store has not applied (retention, a stream recreated) or a holder's
batches skip a number, the holders are asked to relist (``resync``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from graphql_server.broker import Broker
from graphql_server.broker.client import BROKER_ERRORS
from graphql_server.broker.leases import Holding, Lease, LeaseStore
from graphql_server.broker.oplog import Delivery, OperationLog, StreamState
from graphql_server.errors import BadInput
from graphql_server.events import (
    COMMANDS_TOPIC,
    RESOURCES_TOPIC,
    SYNC_TOPIC,
    ClusterCommand,
    Missed,
)
from graphql_server.kube.discovery import ResourceType
from graphql_server.retrying import retry
from graphql_server.store import Store
from graphql_server.store.positions import Cursor, ProducerPosition, StreamPositions
from graphql_server.store.resources import ResourceQuery
from graphql_server.sync.commands import ALL_CLUSTERS
from graphql_server.sync.scaleout.operations import (
    CLUSTER_REPORT,
    Forget,
    Hello,
    Item,
    Report,
    Served,
    Stopped,
    SweepPart,
    Track,
    decode,
)
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.writer import Sweep, Writer, database_backoff

log = logging.getLogger(__name__)
T = TypeVar("T")

WRITER_LEASE = "writer"
CURSOR = "operations"

TRIM_INTERVAL = 30.0


@dataclass(slots=True)
class PendingSweep:
    resource_type: ResourceType
    parts: int
    checkpoint: str | None
    first_seq: int
    before: ProducerPosition | None
    keep: set[str] = field(default_factory=set)
    seen: set[int] = field(default_factory=set)
    deliveries: list[Delivery] = field(default_factory=list)


class StreamApplier:
    def __init__(
        self,
        store: Store,
        writer: Writer,
        tracker: SyncTracker,
        oplog: OperationLog,
        leases: LeaseStore,
        broker: Broker,
        holder: str,
        *,
        consumer: str,
        published: Callable[[], Awaitable[None]] | None = None,
        fenced: Callable[[int], None] | None = None,
        batch: int = 500,
    ) -> None:
        self.store = store
        self.writer = writer
        self.tracker = tracker
        self.oplog = oplog
        self.broker = broker
        self.published = published
        self.fenced = fenced
        self.batch = batch
        self.durable = f"{oplog.prefix}-writer-{consumer}"
        self.positions = StreamPositions(store.database)
        self.holding = Holding(leases, WRITER_LEASE, holder)
        self.producers: dict[str, ProducerPosition] = {}
        self.pending: dict[tuple[str, str], PendingSweep] = {}
        self.created = ""
        self.done_seq = 0  # every message up to here is applied (or waits in a pending sweep)
        self.applied_messages = 0
        self.skipped_messages = 0
        self.resyncs_requested = 0
        self.last_applied_at: float | None = None
        self._trimmed_at = 0.0

    @property
    def holding_lease(self) -> bool:
        return self.holding.held

    async def run(self) -> None:
        await self.holding.run(self._apply_while_held)

    async def _apply_while_held(self, lease: Lease) -> None:
        if self.fenced is not None:
            self.fenced(lease.epoch)  # our events outrank a former writer's
        cursor = await self._retrying(partial(self.positions.cursor, CURSOR))
        self.producers = await self._retrying(self.positions.producers)
        self.pending.clear()
        state = await self.oplog.state()
        start, lost = self._start(cursor, state)
        self.created = state.created
        self.done_seq = start - 1
        log.info("applying the operations stream from sequence %d", start)
        if cursor is not None and cursor.pending > cursor.seq:
            await self._missed()
        if lost:
            await self._request("resync", ALL_CLUSTERS)
        await self._request("announce", ALL_CLUSTERS)
        consumer = await self.oplog.consumer(self.durable, start)
        try:
            while True:
                try:
                    deliveries = await consumer.fetch(self.batch, wait=1.0)
                except BROKER_ERRORS as exc:
                    log.info("operations stream: %s; consuming again", exc or type(exc).__name__)
                    await consumer.close()
                    await self.oplog.client.wait_connected()
                    if not self.holding.held:
                        await asyncio.Event().wait()  # the lease is lost: the holding stops us
                    consumer = await self.oplog.consumer(self.durable, self._resume_seq())
                    continue
                if not deliveries:
                    continue
                marked = Cursor(self.done_seq, self.created, deliveries[-1].seq)
                await self._retrying(partial(self.positions.mark_pending, CURSOR, marked))
                finished = await self.apply(deliveries)
                if self.published is not None:
                    await self.published()  # their events are in the events stream
                await self.save()
                await consumer.ack(finished)
        finally:
            await consumer.close(delete=True)
            self.tracker.clusters.clear()  # the next writer keeps the status now

    def _start(self, cursor: Cursor | None, state: StreamState) -> tuple[int, bool]:
        """Where to start, and whether operations the store never saw are gone."""
        first = max(1, state.first_seq)
        if cursor is None:
            return first, state.first_seq > 1
        if cursor.created != state.created:
            log.warning("the operations stream was recreated; asking every holder to relist")
            return first, True
        if cursor.seq + 1 < state.first_seq:
            log.warning(
                "operations %d to %d left the stream before they were applied; "
                "asking every holder to relist",
                cursor.seq + 1,
                state.first_seq - 1,
            )
            return state.first_seq, True
        return cursor.seq + 1, False

    def _resume_seq(self) -> int:
        """Where to consume from again: the first part of a sweep still waiting (its
        parts are delivered again), else right after what is done."""
        start = self.done_seq + 1
        for (cluster_id, _), pending in self.pending.items():
            start = min(start, pending.first_seq)
            if pending.before is None:
                self.producers.pop(cluster_id, None)
            else:
                self.producers[cluster_id] = pending.before
        self.pending.clear()
        self.done_seq = start - 1
        return start

    # -- applying ------------------------------------------------------------------

    async def apply(self, deliveries: list[Delivery]) -> list[Delivery]:
        """Apply messages in order; returns those that are done (to acknowledge)."""
        finished: list[Delivery] = []
        for delivery in deliveries:
            if delivery.seq <= self.done_seq and not self._waiting(delivery):
                finished.append(delivery)
                continue
            finished.extend(await self._deliver(delivery))
            self.done_seq = max(self.done_seq, delivery.seq)
        await self.writer.idle()
        self.last_applied_at = time.time()
        return finished

    def _waiting(self, delivery: Delivery) -> bool:
        return any(delivery.seq >= p.first_seq for p in self.pending.values())

    async def _deliver(self, delivery: Delivery) -> list[Delivery]:
        """Apply one message; returns the messages now done (none while it waits for the
        rest of a sweep, and the sweep's earlier messages with its last part)."""
        cluster_id = delivery.cluster_id
        position = self.producers.get(cluster_id)
        if position is not None and position.covers(delivery.epoch, delivery.batch):
            self.skipped_messages += 1
            return [delivery]
        if position is not None and delivery.epoch > position.epoch:
            self._drop_pending(cluster_id)  # a new holder relists: its predecessor's sweep is moot
        elif position is not None and delivery.batch > position.batch + 1:
            log.warning(
                "cluster %s: operations %d to %d of its holder are missing; asking it to relist",
                cluster_id,
                position.batch + 1,
                delivery.batch - 1,
                extra={"cluster_id": cluster_id},
            )
            await self._request("resync", cluster_id)
        before = position
        self.producers[cluster_id] = ProducerPosition(
            delivery.epoch, delivery.batch, delivery.producer
        )
        self.applied_messages += 1
        done = [delivery]
        waiting = False
        for data in delivery.entries:
            try:
                item = decode(data)
            except BadInput as exc:
                log.error("skipping an unreadable operation of %s: %s", cluster_id, exc.message)
                continue
            if isinstance(item, SweepPart):
                completed = await self._sweep_part(item, delivery, before)
                if completed is None:
                    waiting = True
                else:
                    done = [d for d in completed if d is not delivery] + done
            elif isinstance(item, Hello | Track | Report | Forget | Served | Stopped):
                # Progress needs no commit of what came before: counts follow the events.
                await self._retrying(partial(self._progress, item))
            else:
                await self.writer.put(item)
        return [] if waiting else done

    async def _sweep_part(
        self, part: SweepPart, delivery: Delivery, before: ProducerPosition | None
    ) -> list[Delivery] | None:
        """Collect a part; once all are in, put the whole sweep and return the messages
        that carried it. None while parts are missing."""
        key = (part.cluster_id, part.sweep_id)
        pending = self.pending.get(key)
        if pending is None:
            pending = PendingSweep(
                part.resource_type, part.parts, part.checkpoint, delivery.seq, before
            )
            self.pending[key] = pending
        pending.keep.update(part.keep)
        pending.seen.add(part.part)
        if delivery not in pending.deliveries:
            pending.deliveries.append(delivery)
        if len(pending.seen) < pending.parts:
            return None
        del self.pending[key]
        await self.writer.put(
            Sweep(part.cluster_id, pending.resource_type, pending.keep, pending.checkpoint)
        )
        return pending.deliveries

    def _drop_pending(self, cluster_id: str) -> None:
        for key in [k for k in self.pending if k[0] == cluster_id]:
            del self.pending[key]

    async def _progress(self, item: Item) -> None:
        tracker = self.tracker
        match item:
            case Hello():
                await self.store.clusters.upsert(
                    item.cluster_id, item.name, item.server, item.version
                )
            case Track():
                counts = await self._counts(item.cluster_id)
                tracker.track(
                    item.cluster_id, item.resource_type, counts.get(item.resource_type.name, 0)
                )
            case Report() if item.type_name == CLUSTER_REPORT:
                tracker.set_cluster_error(item.cluster_id, item.error)
            case Report():
                tracker.report(item.cluster_id, item.type_name, item.phase, item.error)
            case Forget():
                tracker.forget(item.cluster_id, item.type_name)
            case Served():
                await self._retire_unserved(item)
            case Stopped():
                tracker.stopped(item.cluster_id)

    async def _counts(self, cluster_id: str) -> dict[str, int]:
        rows = await self.store.resources.count_by(
            ResourceQuery(cluster_ids=(cluster_id,)), ["resource_type"]
        )
        return {str(r["resource_type"]): int(r["n"]) for r in rows}

    async def _retire_unserved(self, served: Served) -> None:
        """Types stored for the cluster that its holder no longer watches are gone."""
        cluster_id = served.cluster_id
        stored = set(await self._counts(cluster_id))
        stored |= {k.resource_type for k in await self.store.clusters.kinds(cluster_id)}
        for name in sorted(stored - served.type_names):
            gone = ResourceType(group="", version="", kind="", plural=name, namespaced=True)
            await self.writer.put(Sweep(cluster_id, gone, set()))
            await self.writer.idle()
            self.tracker.forget(cluster_id, name)
            log.info(
                "cluster %s: %s is no longer served; its rows are removed",
                cluster_id,
                name,
                extra={"cluster_id": cluster_id},
            )

    async def save(self) -> None:
        """Record how far the store is, never past a sweep still waiting for parts; now
        and then, drop from the stream what the store holds."""
        producers = dict(self.producers)
        seq = self.done_seq
        for (cluster_id, _), pending in self.pending.items():
            seq = min(seq, pending.first_seq - 1)
            if pending.before is None:
                producers.pop(cluster_id, None)
            else:
                producers[cluster_id] = pending.before
        cursor = Cursor(seq, self.created)
        await self._retrying(partial(self.positions.save, CURSOR, cursor, producers))
        if time.monotonic() - self._trimmed_at > TRIM_INTERVAL:
            self._trimmed_at = time.monotonic()
            try:
                await self.oplog.trim(seq + 1)
            except BROKER_ERRORS as exc:
                log.debug("trimming the operations stream: %s", exc)

    async def _retrying(self, step: Callable[[], Awaitable[T]]) -> T:
        """A step on the database, retried while the database is unavailable."""
        return await retry(
            step,
            database_backoff(),
            on_retry=lambda exc, _: log.warning("the database refused a step (%s); retrying", exc),
        )

    async def _missed(self) -> None:
        """The previous writer died while applying a batch, maybe before publishing its
        events: every replica's subscribers are told to refetch."""
        log.warning("the previous store writer stopped mid-batch; subscribers will refetch")
        for topic in (RESOURCES_TOPIC, SYNC_TOPIC):
            await self.broker.publish(topic, Missed(topic=topic, dropped=0))

    async def _request(self, action: str, cluster_id: str) -> None:
        if action == "resync":
            self.resyncs_requested += 1
        await self.broker.publish(COMMANDS_TOPIC, ClusterCommand(action, cluster_id))
