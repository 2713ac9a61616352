"""The single batching writer: every change of every cluster goes through it.

Watch loops hand operations to a bounded queue (a full queue makes them wait:
backpressure, never loss). The writer drains the queue into batches by size
and time, coalesces them per object (latest wins), applies each batch in one
transaction together with the resume versions it covers, and only then
publishes the resulting events. A sweep is a barrier: what was queued before
it is committed first. If the database is down the batch is retried until it
comes back; a row the database refuses is isolated and reported, and the rest
of its batch still lands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql_server.broker import Broker
from graphql_server.events import RESOURCES_TOPIC, ResourceEvent
from graphql_server.kube.discovery import ResourceType
from graphql_server.store import Store
from graphql_server.store.clusters import save_resume_versions
from graphql_server.store.resources import ResourceRow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Upsert:
    resource_type: ResourceType
    row: ResourceRow
    checkpoint: str | None = None


@dataclass(slots=True)
class Delete:
    cluster_id: str
    resource_type: ResourceType
    uid: str
    checkpoint: str | None = None


@dataclass(slots=True)
class Sweep:
    cluster_id: str
    resource_type: ResourceType
    keep: set[str]
    checkpoint: str | None = None
    done: asyncio.Future[None] | None = field(default=None)


@dataclass(slots=True)
class Checkpoint:
    cluster_id: str
    resource_type: ResourceType
    resource_version: str


Operation = Upsert | Delete | Sweep | Checkpoint
Applied = Callable[[list[ResourceEvent]], None]


class Writer:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        *,
        queue_size: int = 20_000,
        batch_size: int = 1000,
        batch_delay: float = 0.05,
        on_applied: Applied | None = None,
        on_rejected: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.batch_size = batch_size
        self.batch_delay = batch_delay
        self.queue: asyncio.Queue[Operation] = asyncio.Queue(queue_size)
        self.on_applied = on_applied
        self.on_rejected = on_rejected
        self.batches = 0
        self.applied_events = 0

    async def put(self, operation: Operation) -> None:
        await self.queue.put(operation)

    async def idle(self) -> None:
        """Wait until everything queued so far has been committed and published."""
        await self.queue.join()

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            deadline = time.monotonic() + self.batch_delay
            while len(batch) < self.batch_size:
                try:
                    batch.append(self.queue.get_nowait())
                    continue
                except asyncio.QueueEmpty:
                    pass
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        batch.append(await self.queue.get())
                except TimeoutError:
                    break
            try:
                await self._apply(batch)
            finally:
                for _ in batch:
                    self.queue.task_done()

    async def _apply(self, batch: list[Operation]) -> None:
        segment: list[Operation] = []
        for operation in batch:
            if isinstance(operation, Sweep):
                await self._commit_segment(segment)
                segment = []
                await self._sweep(operation)
            else:
                segment.append(operation)
        await self._commit_segment(segment)

    async def _commit_segment(self, segment: list[Operation]) -> None:
        if not segment:
            return
        latest: dict[tuple[str, str], Upsert | Delete] = {}
        versions: dict[tuple[str, str], tuple[str, str, str]] = {}
        for operation in segment:
            if isinstance(operation, Upsert):
                latest[(operation.row.cluster_id, operation.row.uid)] = operation
                cluster_id = operation.row.cluster_id
            elif isinstance(operation, Delete):
                latest[(operation.cluster_id, operation.uid)] = operation
                cluster_id = operation.cluster_id
            else:
                cluster_id = operation.cluster_id
            version = (
                operation.resource_version
                if isinstance(operation, Checkpoint)
                else operation.checkpoint
            )
            if version:
                rtype = operation.resource_type
                versions[(cluster_id, rtype.name)] = (rtype.api_version, rtype.kind, version)
        await self._commit(list(latest.values()), versions)

    async def _commit(
        self,
        operations: Sequence[Upsert | Delete],
        versions: dict[tuple[str, str], tuple[str, str, str]],
    ) -> None:
        upserts = [op.row for op in operations if isinstance(op, Upsert)]
        deletes = [(op.cluster_id, op.uid) for op in operations if isinstance(op, Delete)]
        dialect = self.store.database.dialect

        async def checkpoint(connection: Any) -> None:
            await save_resume_versions(connection, dialect, versions)

        delay = 0.2
        while True:
            try:
                events = await self.store.resources.apply(upserts, deletes, after=checkpoint)
                break
            except Exception as exc:
                if not await self._database_up():
                    log.warning("database unavailable (%s); retrying in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)
                    continue
                if len(operations) > 1:
                    middle = len(operations) // 2
                    await self._commit(operations[:middle], {})
                    await self._commit(operations[middle:], versions)
                    return
                self._reject(operations[0], exc)
                return
        await self._publish(events)

    async def _sweep(self, sweep: Sweep) -> None:
        rtype = sweep.resource_type
        delay = 0.2
        while True:
            try:
                events = await self.store.resources.sweep(sweep.cluster_id, rtype.name, sweep.keep)
                break
            except Exception as exc:
                log.warning("sweep of %s failed (%s); retrying in %.1fs", rtype.name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        await self._publish(events)
        if sweep.checkpoint:
            versions = {
                (sweep.cluster_id, rtype.name): (rtype.api_version, rtype.kind, sweep.checkpoint)
            }
            await self._commit([], versions)
        if sweep.done is not None and not sweep.done.done():
            sweep.done.set_result(None)

    async def _database_up(self) -> bool:
        try:
            await self.store.database.ping()
        except Exception:
            return False
        return True

    def _reject(self, operation: Upsert | Delete, exc: Exception) -> None:
        if isinstance(operation, Upsert):
            cluster_id, uid = operation.row.cluster_id, operation.row.uid
        else:
            cluster_id, uid = operation.cluster_id, operation.uid
        log.error(
            "the database refused %s/%s of %s: %s",
            cluster_id,
            uid,
            operation.resource_type.name,
            exc,
        )
        if self.on_rejected is not None:
            self.on_rejected(cluster_id, operation.resource_type.name, str(exc))

    async def _publish(self, events: list[ResourceEvent]) -> None:
        self.batches += 1
        if not events:
            return
        self.applied_events += len(events)
        if self.on_applied is not None:
            self.on_applied(events)
        for event in events:
            await self.broker.publish(RESOURCES_TOPIC, event)
