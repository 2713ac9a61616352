"""The sync side of the process as one unit: writer, status tracker, supervisor, commands.

``async with SyncService(...)`` starts the writer, the tracker and the command
listener as owned tasks, and on exit stops every cluster, lets the writer commit
what it was handed, and cancels the rest. Where the writer's operations come from
is a :class:`Feed` part: :class:`LocalFeed` (this process's reflectors) by default,
the operations stream in a scale-out replica (``sync.scaleout.replica``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Protocol

from graphql_server.broker import Broker
from graphql_server.errors import ConfigurationError, KubernetesError
from graphql_server.kube.discovery import TypeFilter
from graphql_server.kube.watching import WatchOptions
from graphql_server.retrying import Backoff, retry
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.bulk_load import build_deferred_indexes, defer_indexes
from graphql_server.store.faults import describe
from graphql_server.sync.clusters import SyncOptions
from graphql_server.sync.commands import Announce, CommandTable, Resync, serve_commands
from graphql_server.sync.connecting import ClusterSource, connect_retrying
from graphql_server.sync.connections.lifecycle import ConnectionSync
from graphql_server.sync.stats import KindStats, SyncStats, WatchStats, WriterStats
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.supervisor import LocalClusters, Supervisor
from graphql_server.sync.writer import Writer
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0
FIRST_LOAD_LIMIT = 1800.0  # seconds: a cluster still listing by then waits no longer
INDEX_RETRY = (1.0, 30.0)


def sync_options(settings: Settings, watch: WatchOptions | None = None) -> SyncOptions:
    return SyncOptions(
        type_filter=TypeFilter(settings.include_resources, settings.exclude_resources or None),
        watch=watch or WatchOptions(),
        store_secret_values=settings.store_secret_values,
    )


class Feed(Protocol):
    """Where the writer's operations come from, and the supervisor watching for it."""

    @property
    def supervisor(self) -> Supervisor:
        """Watches the clusters this process is asked to sync."""

    @property
    def announce(self) -> Callable[[Announce], Awaitable[None]] | None:
        """Who answers ``Announce`` commands (``None``: nobody here)."""

    async def open(self, tasks: TaskOwner) -> None:
        """Start feeding the writer (background work goes to ``tasks``)."""

    async def stop_feeding(self, tasks: TaskOwner) -> None:
        """Stop taking new operations in, before the clusters stop."""

    async def drain(self) -> None:
        """After the clusters stopped: hand on what they left behind."""


class LocalFeed:
    """This process's reflectors feed its own writer and tracker."""

    announce: Callable[[Announce], Awaitable[None]] | None = None

    def __init__(
        self,
        store: Store,
        writer: Writer,
        tracker: SyncTracker,
        options: SyncOptions,
        restarts: TaskRestarts | None = None,
    ) -> None:
        self.supervisor = Supervisor(LocalClusters(store, writer, tracker, options, restarts))

    async def open(self, tasks: TaskOwner) -> None:
        return None

    async def stop_feeding(self, tasks: TaskOwner) -> None:
        return None

    async def drain(self) -> None:
        return None


FeedFactory = Callable[[Writer, SyncTracker], Feed]


class SyncService:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        options: SyncOptions,
        sources: Iterable[ClusterSource] = (),
        *,
        status_interval: float = 1.0,
        feed: FeedFactory | None = None,
        restarts: TaskRestarts | None = None,
    ) -> None:
        restarts = restarts if restarts is not None else TaskRestarts()
        self.tracker = SyncTracker(store, broker, interval=status_interval)
        self.writer = Writer(
            store,
            broker,
            on_applied=self.tracker.applied,
            on_rejected=self._refused,
            on_settled=self._settled,
            on_health=self.tracker.writer_health,
        )
        self.feed = (
            feed(self.writer, self.tracker)
            if feed is not None
            else LocalFeed(store, self.writer, self.tracker, options, restarts)
        )
        self.supervisor = self.feed.supervisor
        self.sources = tuple(sources)
        self.tasks = TaskOwner("sync", restarts)
        self.connections = ConnectionSync(
            store, broker, self.supervisor, self.writer, self.tracker, self.sources, restarts
        )
        self.commands = CommandTable(
            resync=self._resync,
            announce=self.feed.announce,
            reconcile=self.connections.on_command,
        )
        self.broker = broker
        self.store = store

    def _refused(self, cluster_id: str, type_name: str, error: str) -> None:
        """A row of the type was refused: report it, and list the type again (later)."""
        self.tracker.rejected(cluster_id, type_name, error)
        sync = self.supervisor.clusters.get(cluster_id)
        if sync is not None:
            sync.relist_later(type_name)

    def _settled(self, cluster_id: str, type_name: str) -> None:
        self.tracker.settled(cluster_id, type_name)
        sync = self.supervisor.clusters.get(cluster_id)
        if sync is not None:
            sync.relisted(type_name)

    async def _resync(self, command: Resync) -> None:
        await self.supervisor.resync(command.cluster_id)

    async def __aenter__(self) -> SyncService:
        if await defer_indexes(self.store.database):
            self.tracker.set_indexing(True)
            self.tasks.spawn("first-load-indexes", self._build_indexes_when_listed())
        await self.feed.open(self.tasks)
        self.tasks.keep("writer", self.writer.run)
        self.tasks.keep("status", self.tracker.run)
        self.tasks.keep("commands", lambda: serve_commands(self.broker, self.commands))
        await self.connections.start()
        for source in self.sources:
            self.tasks.spawn(f"connect:{source.name}", self._connect(source))
        return self

    async def _connect(self, source: ClusterSource) -> None:
        await connect_retrying(self._connect_once, source)

    async def _connect_once(self, source: ClusterSource) -> str:
        try:
            cluster_id = await self.supervisor.connect(source)
        except (KubernetesError, ConfigurationError) as exc:
            await self.connections.on_unreachable(source, exc)
            raise
        await self.connections.on_connected(source, cluster_id)
        return cluster_id

    async def _build_indexes_when_listed(self) -> None:
        """The first load's indexes, once every cluster's lists are stored (or after
        ``FIRST_LOAD_LIMIT``, whatever is still listing)."""
        if not await self.tracker.wait_all_listed(FIRST_LOAD_LIMIT):
            log.warning("the first load is still listing; building its indexes now")
        # Any error is retried (a database outage); should the process stop first, the
        # next start builds them.
        await retry(
            lambda: build_deferred_indexes(self.store.database),
            Backoff(*INDEX_RETRY),
            on_retry=lambda exc, _: log.warning(
                "cannot build the first load's indexes yet: %s", describe(exc)
            ),
        )
        self.tracker.set_indexing(False)

    def source_report(self) -> list[dict[str, object]]:
        """Each cluster source's latest connection attempt (for ``/readyz``)."""
        return self.connections.health.report()

    def stats(self) -> SyncStats:
        """What the sync has done so far, as one snapshot (for metrics)."""
        clusters = list(self.tracker.clusters.items())
        syncs = list(self.supervisor.clusters.items())
        writer = self.writer
        return SyncStats(
            cluster_phases={cluster_id: state.phase for cluster_id, state in clusters},
            kinds=tuple(
                KindStats(
                    cluster_id, name, kind.status, kind.count, kind.events, kind.last_event_at
                )
                for cluster_id, state in clusters
                for name, kind in list(state.kinds.items())
            ),
            watches_running={cluster_id: len(sync.reflectors) for cluster_id, sync in syncs},
            watches=tuple(
                WatchStats(
                    cluster_id, name, dict(reflector.restarts), dict(reflector.relist_reasons)
                )
                for cluster_id, sync in syncs
                for name, (reflector, _) in list(sync.reflectors.items())
            ),
            writer=WriterStats(
                queued_rows=writer.queued_rows,
                max_queued_rows=writer.max_queued_rows,
                queued_operations=writer.queue.qsize(),
                batches=writer.batches,
                applied_events=writer.applied_events,
                batch_rows=writer.batch_rows.snapshot(),
                batch_seconds=writer.batch_seconds.snapshot(),
                rejected_rows=writer.rejected_rows,
                abandoned_sweeps=writer.abandoned_sweeps,
                unavailable=writer.unavailable is not None,
            ),
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.feed.stop_feeding(self.tasks)
        await self.connections.stop()
        await self.supervisor.close()
        await self.feed.drain()
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE):
                await self.writer.idle()
                await self.tracker.flush()
        except TimeoutError:
            log.warning("shutdown: %d queued changes not committed", self.writer.queue.qsize())
        finally:
            await self.tasks.close()
