"""The sync side of the process as one unit: writer, status tracker, supervisor.

``async with SyncService(...)`` starts the writer, the tracker and the command
listener as owned tasks, and on exit stops every cluster, lets the writer
commit what it was handed, and cancels the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from types import TracebackType

from graphql_server.broker import Broker
from graphql_server.errors import ConfigurationError, KubernetesError
from graphql_server.kube.discovery import TypeFilter
from graphql_server.kube.watching import Backoff, WatchOptions
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.sync.clusters import SyncOptions
from graphql_server.sync.connections import ConnectionSync
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.supervisor import ClusterSource, Supervisor
from graphql_server.sync.writer import Writer
from graphql_server.tasks import TaskOwner

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0


def sync_options(settings: Settings, watch: WatchOptions | None = None) -> SyncOptions:
    return SyncOptions(
        type_filter=TypeFilter(settings.include_resources, settings.exclude_resources or None),
        watch=watch or WatchOptions(),
        store_secret_values=settings.store_secret_values,
    )


def source_context(source: ClusterSource) -> dict[str, str]:
    """Log fields naming a cluster source before its cluster id is known."""
    context = {"source": source.name}
    connection_id = getattr(source, "connection_id", "")
    if connection_id:
        context["connection_id"] = str(connection_id)
    return context


class SyncService:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        options: SyncOptions,
        sources: Iterable[ClusterSource] = (),
        *,
        status_interval: float = 1.0,
    ) -> None:
        self.tracker = SyncTracker(store, broker, interval=status_interval)
        self.writer = Writer(
            store, broker, on_applied=self.tracker.applied, on_rejected=self.tracker.rejected
        )
        self.supervisor = Supervisor(store, broker, self.writer, self.tracker, options)
        self.sources = tuple(sources)
        self.tasks = TaskOwner("sync")
        self.connections = ConnectionSync(store, broker, self.supervisor, self.sources)

    async def __aenter__(self) -> SyncService:
        self.tasks.spawn("writer", self.writer.run())
        self.tasks.spawn("status", self.tracker.run())
        self.tasks.spawn("commands", self.supervisor.serve_commands())
        await self.connections.start()
        for source in self.sources:
            self.tasks.spawn(f"connect:{source.name}", self._connect(source))
        return self

    async def _connect(self, source: ClusterSource) -> None:
        """Connect, retrying while the cluster is unreachable; a bad configuration is final."""
        backoff = Backoff(1.0, 60.0)
        while True:
            try:
                await self.supervisor.connect(source)
                return
            except ConfigurationError as exc:
                log.error(
                    "cannot connect %s: %s", source.name, exc.message, extra=source_context(source)
                )
                return
            except KubernetesError as exc:
                delay = backoff.next_delay()
                log.warning(
                    "cannot reach %s (%s); retrying in %.0fs",
                    source.name,
                    exc.message,
                    delay,
                    extra=source_context(source),
                )
                await asyncio.sleep(delay)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.connections.stop()
        await self.supervisor.close()
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE):
                await self.writer.idle()
                await self.tracker.flush()
        except TimeoutError:
            log.warning("shutdown: %d queued changes not committed", self.writer.queue.qsize())
        finally:
            await self.tasks.close()
