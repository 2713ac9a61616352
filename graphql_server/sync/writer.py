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
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql_server.broker import Broker
from graphql_server.events import RESOURCES_TOPIC, ResourceEvent
from graphql_server.kube.discovery import ResourceType
from graphql_server.retrying import Backoff, Jitter, retry
from graphql_server.store import Store
from graphql_server.store.clusters import save_resume_versions
from graphql_server.store.resources import ResourceRow
from graphql_server.sync.stats import BATCH_ROWS, BATCH_SECONDS, Distribution

log = logging.getLogger(__name__)


def database_backoff() -> Backoff:
    """Waits between attempts on a database that is away: 0.2 s doubling to 10 s."""
    return Backoff(0.2, 10.0, Jitter.NONE)


@dataclass(slots=True)
class Upsert:
    """Rows to insert or update: a list page, or one watch event."""

    resource_type: ResourceType
    rows: list[ResourceRow]
    checkpoint: str | None = None


@dataclass(slots=True)
class Delete:
    cluster_id: str
    resource_type: ResourceType
    uid: str
    checkpoint: str | None = None


@dataclass(slots=True)
class Sweep:
    """Everything of the type that is not in ``keep`` is gone (after a complete list)."""

    cluster_id: str
    resource_type: ResourceType
    keep: set[str]
    checkpoint: str | None = None


@dataclass(slots=True)
class Checkpoint:
    cluster_id: str
    resource_type: ResourceType
    resource_version: str


@dataclass(slots=True)
class Change:
    """One object's latest state within a batch: a row to store, or None to delete."""

    resource_type: ResourceType
    cluster_id: str
    uid: str
    row: ResourceRow | None
    version: str | None = None  # a delete's resourceVersion: an older one deletes nothing


Operation = Upsert | Delete | Sweep | Checkpoint
Applied = Callable[[list[ResourceEvent]], None]


class Writer:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        *,
        max_queued_rows: int = 5_000,
        batch_size: int = 1000,
        batch_delay: float = 0.05,
        on_applied: Applied | None = None,
        on_rejected: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.batch_size = batch_size
        self.batch_delay = batch_delay
        # Bounded by rows, not operations: a list page is one operation of many rows.
        self.max_queued_rows = max_queued_rows
        self.queued_rows = 0
        self._space = asyncio.Condition()
        self.queue: asyncio.Queue[Operation] = asyncio.Queue()
        self.on_applied = on_applied
        self.on_rejected = on_rejected
        self.batches = 0
        self.applied_events = 0
        self.batch_rows = Distribution(BATCH_ROWS)
        self.batch_seconds = Distribution(BATCH_SECONDS)

    async def put(self, operation: Operation) -> None:
        """Queue an operation, waiting while the queue is full (backpressure, never loss)."""
        rows = _size(operation)
        async with self._space:
            await self._space.wait_for(
                lambda: self.queued_rows == 0 or self.queued_rows + rows <= self.max_queued_rows
            )
            self.queued_rows += rows
        self.queue.put_nowait(operation)

    async def idle(self) -> None:
        """Wait until everything queued so far has been committed and published."""
        await self.queue.join()

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            size = _size(batch[0])
            deadline = time.monotonic() + self.batch_delay
            while size < self.batch_size:
                try:
                    operation = self.queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        async with asyncio.timeout(remaining):
                            operation = await self.queue.get()
                    except TimeoutError:
                        break
                batch.append(operation)
                size += _size(operation)
            started = time.perf_counter()
            try:
                await self._apply(batch)
            finally:
                self.batch_rows.observe(size)
                self.batch_seconds.observe(time.perf_counter() - started)
                for _ in batch:
                    self.queue.task_done()
                async with self._space:
                    self.queued_rows -= size
                    self._space.notify_all()

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
        latest: dict[tuple[str, str], Change] = {}
        versions: dict[tuple[str, str], tuple[str, str, str]] = {}
        for operation in segment:
            rtype = operation.resource_type
            if isinstance(operation, Upsert):
                for row in operation.rows:
                    latest[(row.cluster_id, row.uid)] = Change(rtype, row.cluster_id, row.uid, row)
                version = operation.checkpoint
                cluster_id = operation.rows[0].cluster_id if operation.rows else ""
            elif isinstance(operation, Delete):
                key = (operation.cluster_id, operation.uid)
                latest[key] = Change(
                    rtype, operation.cluster_id, operation.uid, None, operation.checkpoint
                )
                version, cluster_id = operation.checkpoint, operation.cluster_id
            else:
                assert isinstance(operation, Checkpoint)
                version, cluster_id = operation.resource_version, operation.cluster_id
            if version and cluster_id:
                versions[(cluster_id, rtype.name)] = (rtype.api_version, rtype.kind, version)
        await self._commit(list(latest.values()), versions)

    async def _commit(
        self, changes: Sequence[Change], versions: dict[tuple[str, str], tuple[str, str, str]]
    ) -> None:
        upserts = [c.row for c in changes if c.row is not None]
        deletes = [(c.cluster_id, c.uid, c.version) for c in changes if c.row is None]
        dialect = self.store.database.dialect

        async def checkpoint(connection: Any) -> None:
            await save_resume_versions(connection, dialect, versions)

        async def database_down(_: BaseException) -> bool:
            return not await self._database_up()

        try:
            events = await retry(
                partial(self.store.resources.apply, upserts, deletes, after=checkpoint),
                database_backoff(),
                when=database_down,
                on_retry=lambda exc, delay: log.warning(
                    "database unavailable (%s); retrying in %.1fs", exc, delay
                ),
            )
        except Exception as exc:
            if len(changes) > 1:
                middle = len(changes) // 2
                await self._commit(changes[:middle], {})
                await self._commit(changes[middle:], versions)
                return
            self._reject(changes[0] if changes else None, exc)
            return
        await self._publish(events)

    async def _sweep(self, sweep: Sweep) -> None:
        rtype = sweep.resource_type
        events = await retry(
            partial(
                self.store.resources.sweep,
                sweep.cluster_id,
                rtype.name,
                sweep.keep,
                version=sweep.checkpoint,
            ),
            database_backoff(),
            on_retry=lambda exc, delay: log.warning(
                "sweep of %s failed (%s); retrying in %.1fs",
                rtype.name,
                exc,
                delay,
                extra={"cluster_id": sweep.cluster_id},
            ),
        )
        await self._publish(events)
        if sweep.checkpoint:
            versions = {
                (sweep.cluster_id, rtype.name): (rtype.api_version, rtype.kind, sweep.checkpoint)
            }
            await self._commit([], versions)

    async def _database_up(self) -> bool:
        try:
            await self.store.database.ping()
        except Exception:
            return False
        return True

    def _reject(self, change: Change | None, exc: Exception) -> None:
        if change is None:
            log.error("the database refused a checkpoint: %s", exc)
            return
        name = change.resource_type.name
        log.error(
            "the database refused %s/%s of %s: %s",
            change.cluster_id,
            change.uid,
            name,
            exc,
            extra={"cluster_id": change.cluster_id},
        )
        if self.on_rejected is not None:
            self.on_rejected(change.cluster_id, name, str(exc))

    async def _publish(self, events: list[ResourceEvent]) -> None:
        self.batches += 1
        if not events:
            return
        self.applied_events += len(events)
        if self.on_applied is not None:
            self.on_applied(events)
        for event in events:
            await self.broker.publish(RESOURCES_TOPIC, event)


def _size(operation: Operation) -> int:
    return len(operation.rows) if isinstance(operation, Upsert) else 1
