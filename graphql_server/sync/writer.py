"""The single batching writer: every change of every cluster goes through it.

Watch loops hand operations to a bounded queue (a full queue makes them wait:
backpressure, never loss). The writer drains the queue into batches by size
and time, coalesces them per object (latest wins), applies each batch in one
transaction together with the resume versions it covers, and only then
publishes the resulting events. A sweep is a barrier: what was queued before
it is committed first.

Faults are told apart by ``store.faults``. A transient one (the database away,
busy or out of space) retries the whole batch with backoff until it lands: nothing
is split or dropped, and no resume version moves meanwhile; the writer reports
itself unavailable (``on_health``) until it commits again. A content fault (the
database refuses a row) is bisected down to the refused rows, which are logged,
counted and reported (``on_rejected``: the type is relisted); the rest of the batch
lands, and the type's resume version is held back until every refused object has
landed or is gone (``on_settled``). A sweep that keeps failing for another reason
gives up after a few attempts and is reported the same way.
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
from graphql_server.retrying import Backoff, Jitter, retry
from graphql_server.store import Store
from graphql_server.store.clusters import forget_resume_versions, save_resume_versions
from graphql_server.store.faults import describe, is_transient
from graphql_server.store.resources import ResourceRow
from graphql_server.sync.stats import BATCH_ROWS, BATCH_SECONDS, Distribution

log = logging.getLogger(__name__)

SWEEP_ATTEMPTS = 3
PUBLISH_SLICE = 200
"""Events published before the writer lets the subscribers take them: a batch of
thousands never arrives at once in a mailbox of a subscriber that keeps up."""


def database_backoff() -> Backoff:
    """Waits between attempts on a database that is away: 0.2 s doubling to 10 s."""
    return Backoff(0.2, 10.0, Jitter.NONE)


async def transient(exc: BaseException) -> bool:
    """Whether the same write can succeed later (``retrying.retry``'s ``when``)."""
    return is_transient(exc)


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
    # Resolved once the sweep is applied (or handed on by a publishing sink): a type
    # is reported SYNCED only when the rows of its list are stored.
    settled: asyncio.Future[None] | None = field(default=None, compare=False, repr=False)


def settle(operation: Operation) -> None:
    """Tell whoever waits on a sweep that it has been dealt with."""
    if isinstance(operation, Sweep) and operation.settled and not operation.settled.done():
        operation.settled.set_result(None)


@dataclass(slots=True)
class Checkpoint:
    cluster_id: str
    resource_type: ResourceType
    resource_version: str


@dataclass(slots=True)
class Reset:
    """The cluster's API server went back in time: what is stored for it no longer
    orders anything, and its types resume from a full list (which replaces the rows)."""

    cluster_id: str


@dataclass(slots=True)
class Change:
    """One object's latest state within a batch: a row to store, or None to delete."""

    resource_type: ResourceType
    cluster_id: str
    uid: str
    row: ResourceRow | None
    version: str | None = None  # a delete's resourceVersion: an older one deletes nothing


Operation = Upsert | Delete | Sweep | Checkpoint | Reset
Applied = Callable[[list[ResourceEvent]], None]
# (cluster id, type name) -> (apiVersion, kind, resourceVersion to resume from)
Versions = dict[tuple[str, str], tuple[str, str, str]]


class Writer:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        *,
        max_queued_rows: int = 10_000,
        batch_size: int = 5_000,
        batch_delay: float = 0.05,
        on_applied: Applied | None = None,
        on_rejected: Callable[[str, str, str], None] | None = None,
        on_settled: Callable[[str, str], None] | None = None,
        on_health: Callable[[str | None], None] | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        # Up to 5,000 rows a transaction: a first load commits a tenth as often as
        # page by page (each commit writes every index page it touched again), while
        # under churn a batch is only what was queued within batch_delay.
        self.batch_size = batch_size
        self.batch_delay = batch_delay
        # Bounded by rows, not operations: a list page is one operation of many rows.
        self.max_queued_rows = max_queued_rows
        self.queued_rows = 0
        self._space = asyncio.Condition()
        self.queue: asyncio.Queue[Operation] = asyncio.Queue()
        self.on_applied = on_applied
        self.on_rejected = on_rejected  # (cluster id, type, error): a row refused
        self.on_settled = on_settled  # (cluster id, type): its refused rows all landed
        self.on_health = on_health  # the error while the database is unavailable, then None
        self.unavailable: str | None = None
        # (cluster id, type) -> uid -> why the database refused that object's last change
        self.refused: dict[tuple[str, str], dict[str, str]] = {}
        self.rejected_rows = 0
        self.abandoned_sweeps = 0
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
                for operation in batch:
                    settle(operation)
                    self.queue.task_done()
                async with self._space:
                    self.queued_rows -= size
                    self._space.notify_all()

    async def _apply(self, batch: list[Operation]) -> None:
        segment: list[Upsert | Delete | Checkpoint] = []
        for operation in batch:
            if isinstance(operation, Sweep | Reset):
                await self._commit_segment(segment)
                segment = []
                if isinstance(operation, Sweep):
                    await self._sweep(operation)
                    settle(operation)
                else:
                    await self._reset(operation)
            else:
                segment.append(operation)
        await self._commit_segment(segment)

    async def _commit_segment(self, segment: list[Upsert | Delete | Checkpoint]) -> None:
        if not segment:
            return
        latest: dict[tuple[str, str], Change] = {}
        versions: Versions = {}
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

    async def _commit(self, changes: Sequence[Change], versions: Versions) -> None:
        try:
            events = await self._write(changes, versions)
        except Exception as exc:  # the database refused the content (``store.faults``)
            if len(changes) > 1:
                middle = len(changes) // 2
                await self._commit(changes[:middle], {})
                await self._commit(changes[middle:], {})
                await self._commit([], versions)
            elif changes:
                self._reject(changes[0], exc)
            else:
                log.error("the database refused resume versions: %s", describe(exc))
            return
        self._settle(changes)
        await self._publish(events)

    async def _write(self, changes: Sequence[Change], versions: Versions) -> list[ResourceEvent]:
        """Apply the changes and the resume versions together, retrying transient faults
        for as long as they last; a content fault is raised at once. A type with a
        refused row keeps its resume version until the row lands (or is gone)."""
        saved = {key: value for key, value in versions.items() if key not in self.refused}
        if not changes and not saved:
            return []
        upserts = [c.row for c in changes if c.row is not None]
        deletes = [(c.cluster_id, c.uid, c.version) for c in changes if c.row is None]
        dialect = self.store.database.dialect

        async def checkpoint(connection: Any) -> None:
            await save_resume_versions(connection, dialect, saved)

        events = await retry(
            lambda: self.store.resources.apply(upserts, deletes, after=checkpoint),
            database_backoff(),
            when=transient,
            on_retry=self._unavailable,
        )
        self._available()
        return events

    async def _sweep(self, sweep: Sweep) -> None:
        rtype = sweep.resource_type
        key = (sweep.cluster_id, rtype.name)
        failures = 0

        async def worth_another(exc: BaseException) -> bool:
            """Transient faults for as long as they last; others SWEEP_ATTEMPTS times."""
            nonlocal failures
            if is_transient(exc):
                return True
            failures += 1
            return failures < SWEEP_ATTEMPTS

        def waiting(exc: BaseException, delay: float) -> None:
            if is_transient(exc):
                self._unavailable(exc, delay)

        try:
            events = await retry(
                lambda: self.store.resources.sweep(
                    sweep.cluster_id, rtype.name, sweep.keep, version=sweep.checkpoint
                ),
                database_backoff(),
                when=worth_another,
                on_retry=waiting,
            )
        except Exception as exc:
            self.abandoned_sweeps += 1
            log.error(
                "giving up the sweep of %s after %d attempts: %s",
                rtype.name,
                failures,
                describe(exc),
                extra={"cluster_id": sweep.cluster_id},
            )
            self._refuse(sweep.cluster_id, rtype.name, "", f"sweep failed: {describe(exc)}")
            return
        self._available()
        await self._publish(events)
        refused = self.refused.get(key)
        if refused is not None:
            for uid in [uid for uid in refused if uid not in sweep.keep]:
                del refused[uid]  # gone from the cluster: nothing left to land
            self._settle_key(key)
        if sweep.checkpoint:
            versions = {key: (rtype.api_version, rtype.kind, sweep.checkpoint)}
            await self._commit([], versions)

    async def _reset(self, reset: Reset) -> None:
        cluster_id = reset.cluster_id
        dialect = self.store.database.dialect

        async def resume_from_lists(connection: Any) -> None:
            await forget_resume_versions(connection, dialect, cluster_id)

        try:
            await retry(
                lambda: self.store.resources.forget_versions(cluster_id, after=resume_from_lists),
                database_backoff(),
                when=transient,
                on_retry=self._unavailable,
            )
        except Exception as exc:
            log.error(
                "cluster %s: cannot forget its stored versions: %s",
                cluster_id,
                describe(exc),
                extra={"cluster_id": cluster_id},
            )
            return
        self._available()
        log.info(
            "cluster %s: stored versions forgotten; its next lists replace its rows",
            cluster_id,
            extra={"cluster_id": cluster_id},
        )

    def _unavailable(self, exc: BaseException, delay: float) -> None:
        """A transient fault: the database is away; said once, then each retry logged."""
        error = describe(exc)
        if self.unavailable is None:
            log.error("cannot commit: the database is unavailable (%s)", error)
            self.unavailable = error
            if self.on_health is not None:
                self.on_health(error)
        log.warning("database unavailable (%s); retrying in %.1fs", error, delay)

    def _available(self) -> None:
        if self.unavailable is None:
            return
        log.info("the database is available again; committing")
        self.unavailable = None
        if self.on_health is not None:
            self.on_health(None)

    def _reject(self, change: Change, exc: Exception) -> None:
        name = change.resource_type.name
        error = describe(exc)
        log.error(
            "the database refused %s/%s of %s: %s",
            change.cluster_id,
            change.uid,
            name,
            error,
            extra={"cluster_id": change.cluster_id},
        )
        self.rejected_rows += 1
        self._refuse(change.cluster_id, name, change.uid, error)

    def _refuse(self, cluster_id: str, type_name: str, uid: str, error: str) -> None:
        refused = self.refused.setdefault((cluster_id, type_name), {})
        if uid:
            refused[uid] = error
        if self.on_rejected is not None:
            self.on_rejected(cluster_id, type_name, error)

    def _settle(self, changes: Sequence[Change]) -> None:
        """Changes that landed replace any refused earlier state of their objects."""
        touched: set[tuple[str, str]] = set()
        for change in changes:
            key = (change.cluster_id, change.resource_type.name)
            refused = self.refused.get(key)
            if refused is not None and refused.pop(change.uid, None) is not None:
                touched.add(key)
        for key in touched:
            self._settle_key(key)

    def _settle_key(self, key: tuple[str, str]) -> None:
        if self.refused.get(key):
            return
        self.refused.pop(key, None)
        if self.on_settled is not None:
            self.on_settled(*key)

    async def _publish(self, events: list[ResourceEvent]) -> None:
        self.batches += 1
        if not events:
            return
        self.applied_events += len(events)
        if self.on_applied is not None:
            self.on_applied(events)
        for number, event in enumerate(events, 1):
            await self.broker.publish(RESOURCES_TOPIC, event)
            if number % PUBLISH_SLICE == 0:
                await asyncio.sleep(0)


def _size(operation: Operation) -> int:
    return len(operation.rows) if isinstance(operation, Upsert) else 1
