"""The sync side of a ``serve`` replica that shares PostgreSQL and NATS with others.

Owns the scale-out parts a ``SyncService`` is composed with (``StreamFeed``):

- the supervisor builds a leased, publishing sync for each cluster this replica is
  asked to sync (command line, CONNECTED connections), so that each cluster is
  watched by exactly one agent or replica at a time, and what they see goes to the
  operations stream like an agent's (``sync.scaleout.publishing``);
- the writer is fed by the operations stream (``sync.scaleout.applying``, under the
  writer lease) instead of by local reflectors.

The connection lifecycle, the status tracker and the commands work as in one
process. :func:`scale_out_sync` builds a ``SyncService`` with these parts (its
``feed`` is the ``StreamFeed``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from graphql_server.broker.leases import LeaseStore
from graphql_server.broker.nats import NatsBroker
from graphql_server.broker.oplog import OperationLog
from graphql_server.kube.client import KubeClient
from graphql_server.kube.discovery import ClusterIdentity
from graphql_server.store import Store
from graphql_server.store.versions import TOMBSTONE_RETENTION
from graphql_server.sync.clusters import SyncOptions
from graphql_server.sync.commands import Announce
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.scaleout.applying import StreamApplier
from graphql_server.sync.scaleout.operations import Hello
from graphql_server.sync.scaleout.publishing import LeasedClusterSync
from graphql_server.sync.service import SyncService
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.supervisor import Supervisor
from graphql_server.sync.writer import Writer
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

FLUSH_GRACE = 5.0
WATCHING_UNDER_LEASE = "; watching while this process holds its lease"


def holder_name(label: str) -> str:
    """Who holds a lease, as operators read it: a label, the host and the process."""
    return f"{label}@{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class ScaleOutOptions:
    prefix: str = "gs"
    lease_ttl: float = 10.0
    operation_retention: float = 24 * 3600.0
    outbox_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LeasedClusters:
    """Builds a cluster's sync that watches under the cluster's lease and publishes."""

    oplog: OperationLog
    leases: LeaseStore
    holder: str
    options: SyncOptions
    restarts: TaskRestarts | None = None  # where its tasks' restarts are counted

    async def __call__(
        self, source: ClusterSource, client: KubeClient, identity: ClusterIdentity
    ) -> LeasedClusterSync:
        hello = Hello(identity.uid, source.name, client.server, identity.version)
        return LeasedClusterSync(
            identity.uid,
            client,
            self.oplog,
            self.leases,
            self.holder,
            self.options,
            hello,
            self.restarts,
        )


def leased_supervisor(build: LeasedClusters) -> Supervisor:
    """Resyncs and announcements of clusters watched elsewhere are someone else's."""
    return Supervisor(build, strict=False, watching=WATCHING_UNDER_LEASE)


async def announce(supervisor: Supervisor, command: Announce) -> None:
    for sync in supervisor.matching(command.cluster_id):
        if isinstance(sync, LeasedClusterSync):
            sync.announce()


class StreamFeed:
    """The writer fed by the operations stream; clusters watched under their leases."""

    def __init__(
        self,
        store: Store,
        broker: NatsBroker,
        writer: Writer,
        tracker: SyncTracker,
        options: SyncOptions,
        settings: ScaleOutOptions,
        holder: str,
        restarts: TaskRestarts | None = None,
    ) -> None:
        self.broker = broker
        self.writer = writer
        self.oplog = OperationLog(
            broker.client,
            settings.prefix,
            producer=broker.instance,
            retention=settings.operation_retention,
            outbox_bytes=settings.outbox_bytes,
        )
        self.leases = LeaseStore(broker.client, settings.prefix, settings.lease_ttl)
        self.supervisor = leased_supervisor(
            LeasedClusters(self.oplog, self.leases, holder, options, restarts)
        )
        self.applier = StreamApplier(
            store,
            writer,
            tracker,
            self.oplog,
            self.leases,
            broker,
            holder,
            consumer=broker.instance,
            published=broker.outbox.flushed,
            fenced=lambda epoch: setattr(broker, "fence", epoch),
        )
        # A late copy of an operation can come as long as the stream keeps it.
        store.resources.tombstones.retention = max(
            TOMBSTONE_RETENTION, settings.operation_retention
        )
        # The applier hands the writer whole fetched batches: no need to wait for more.
        writer.batch_delay = 0.005
        self._applying: asyncio.Task[None] | None = None

    async def announce(self, command: Announce) -> None:
        await announce(self.supervisor, command)

    async def open(self, tasks: TaskOwner) -> None:
        await self.oplog.open()
        await self.leases.open()
        tasks.keep("operations-outbox", self.oplog.outbox.run)
        self._applying = tasks.keep("apply-operations", self.applier.run)

    async def stop_feeding(self, tasks: TaskOwner) -> None:
        if self._applying is not None:
            await tasks.cancel(self._applying)  # gives the writer lease up

    async def drain(self) -> None:
        if self.oplog.outbox.pending and self.oplog.client.connected:
            try:
                async with asyncio.timeout(FLUSH_GRACE):
                    await self.oplog.outbox.flushed()
            except TimeoutError:
                log.warning("shutdown: %d operations not handed to NATS", self.oplog.outbox.pending)


def scale_out_sync(
    store: Store,
    broker: NatsBroker,
    options: SyncOptions,
    sources: Iterable[ClusterSource] = (),
    *,
    scale_out: ScaleOutOptions | None = None,
    holder: str | None = None,
    status_interval: float = 1.0,
    restarts: TaskRestarts | None = None,
) -> SyncService:
    """A ``SyncService`` whose feed is a ``StreamFeed`` (``service.feed``)."""
    restarts = restarts if restarts is not None else TaskRestarts()
    feed = partial(
        StreamFeed,
        store,
        broker,
        options=options,
        settings=scale_out or ScaleOutOptions(),
        holder=holder or holder_name("serve"),
        restarts=restarts,
    )
    return SyncService(
        store,
        broker,
        options,
        sources,
        status_interval=status_interval,
        feed=feed,
        restarts=restarts,
    )
