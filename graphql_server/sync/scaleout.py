"""The sync side of a ``serve`` replica that shares PostgreSQL and NATS with others.

Owns putting the scale-out pieces in place of the in-process ones:

- ``LeasedSupervisor``: the clusters this replica is asked to sync (command line,
  CONNECTED connections) are watched under their lease (``sync.publishing``), so
  that each cluster is watched by exactly one agent or replica at a time, and what
  they see goes to the operations stream like an agent's.
- ``ScaleOutSyncService``: a ``SyncService`` whose writer is fed by the operations
  stream (``sync.applying``, under the writer lease) instead of by local reflectors.
  The connection lifecycle, the status tracker and the commands work as in one
  process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType

from graphql_server.broker.leases import LeaseStore
from graphql_server.broker.nats import NatsBroker
from graphql_server.broker.oplog import OperationLog
from graphql_server.events import ClusterCommand
from graphql_server.kube.discovery import identify
from graphql_server.store import Store
from graphql_server.store.versions import TOMBSTONE_RETENTION
from graphql_server.sync.applying import ALL_CLUSTERS, StreamApplier
from graphql_server.sync.clusters import ClusterSync, SyncOptions
from graphql_server.sync.connections import ConnectionSync
from graphql_server.sync.operations import Hello
from graphql_server.sync.publishing import LeasedClusterSync
from graphql_server.sync.service import SyncService
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.supervisor import ClusterSource, Supervisor
from graphql_server.sync.writer import Writer

log = logging.getLogger(__name__)

FLUSH_GRACE = 5.0


def holder_name(label: str) -> str:
    """Who holds a lease, as operators read it: a label, the host and the process."""
    return f"{label}@{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class ScaleOutOptions:
    prefix: str = "gs"
    lease_ttl: float = 10.0
    operation_retention: float = 24 * 3600.0
    outbox_bytes: int = 64 * 1024 * 1024


class LeasedSupervisor(Supervisor):
    """Starts a leased, publishing sync for each cluster this process is asked to sync."""

    def __init__(
        self,
        store: Store,
        broker: NatsBroker,
        writer: Writer,
        tracker: SyncTracker,
        options: SyncOptions,
        *,
        oplog: OperationLog,
        leases: LeaseStore,
        holder: str,
    ) -> None:
        super().__init__(store, broker, writer, tracker, options)
        self.oplog = oplog
        self.leases = leases
        self.holder = holder
        self.handlers["announce"] = self.announce

    async def connect(self, source: ClusterSource) -> str:
        client = await source.client()
        try:
            identity = await identify(client)
        except BaseException:
            await client.close()
            raise
        if identity.uid in self.clusters:
            await client.close()
        else:
            hello = Hello(identity.uid, source.name, client.server, identity.version)
            sync = LeasedClusterSync(
                identity.uid, client, self.oplog, self.leases, self.holder, self.options, hello
            )
            self.clusters[identity.uid] = sync
            await sync.start(set())
            log.info(
                "cluster %s (%s) at %s: watching while this process holds its lease",
                identity.uid,
                source.name,
                client.server,
                extra={"cluster_id": identity.uid},
            )
        await self._connected(source, identity.uid)
        return identity.uid

    async def resync(self, cluster_id: str) -> None:
        """Relist, if this process is the one watching; other processes answer otherwise."""
        for sync in self._matching(cluster_id):
            await sync.resync()

    async def announce(self, command: ClusterCommand) -> None:
        for sync in self._matching(command.cluster_id):
            if isinstance(sync, LeasedClusterSync):
                sync.announce()

    def _matching(self, cluster_id: str) -> list[ClusterSync]:
        if cluster_id == ALL_CLUSTERS:
            return list(self.clusters.values())
        sync = self.clusters.get(cluster_id)
        return [] if sync is None else [sync]


class ScaleOutSyncService(SyncService):
    def __init__(
        self,
        store: Store,
        broker: NatsBroker,
        options: SyncOptions,
        sources: Iterable[ClusterSource] = (),
        *,
        scale_out: ScaleOutOptions | None = None,
        holder: str | None = None,
        status_interval: float = 1.0,
    ) -> None:
        super().__init__(store, broker, options, sources, status_interval=status_interval)
        settings = scale_out or ScaleOutOptions()
        self.holder = holder or holder_name("serve")
        self.oplog = OperationLog(
            broker.client,
            settings.prefix,
            producer=broker.instance,
            retention=settings.operation_retention,
            outbox_bytes=settings.outbox_bytes,
        )
        self.leases = LeaseStore(broker.client, settings.prefix, settings.lease_ttl)
        self.supervisor = LeasedSupervisor(
            store,
            broker,
            self.writer,
            self.tracker,
            options,
            oplog=self.oplog,
            leases=self.leases,
            holder=self.holder,
        )
        self.connections = ConnectionSync(store, broker, self.supervisor, self.sources)
        self.applier = StreamApplier(
            store,
            self.writer,
            self.tracker,
            self.oplog,
            self.leases,
            broker,
            self.holder,
            consumer=broker.instance,
            published=broker.outbox.flushed,
            fenced=lambda epoch: setattr(broker, "fence", epoch),
        )
        # A late copy of an operation can come as long as the stream keeps it.
        store.resources.tombstones.retention = max(
            TOMBSTONE_RETENTION, settings.operation_retention
        )
        # The applier hands the writer whole fetched batches: no need to wait for more.
        self.writer.batch_delay = 0.005
        self._applying: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ScaleOutSyncService:
        await self.oplog.open()
        await self.leases.open()
        self.tasks.spawn("operations-outbox", self.oplog.outbox.run())
        self._applying = self.tasks.spawn("apply-operations", self.applier.run())
        await super().__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._applying is not None:
            await self.tasks.cancel(self._applying)  # gives the writer lease up
        await self.connections.stop()
        await self.supervisor.close()  # stops watching and gives the cluster leases up
        if self.oplog.outbox.pending and self.oplog.client.connected:
            try:
                async with asyncio.timeout(FLUSH_GRACE):
                    await self.oplog.outbox.flushed()
            except TimeoutError:
                log.warning("shutdown: %d operations not handed to NATS", self.oplog.outbox.pending)
        await super().__aexit__(exc_type, exc, tb)
