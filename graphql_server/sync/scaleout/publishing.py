"""Discovery that publishes: a cluster's sync feeding the operations stream under a lease.

Owns the discovery side of the scale-out setup:

- ``ClusterPublisher`` takes a cluster's writer operations (the ``OperationSink``
  the reflectors feed) and puts them, encoded, in the operations stream's outbox,
  tagged with the current lease epoch. A full outbox makes the watch loops wait;
  nothing is dropped.
- ``ReportingTracker`` sends the sync's progress (types tracked, phases, errors)
  the same way, so that the store writer can keep the sync status.
- ``LeasedClusterSync`` runs a ``ClusterSync`` (feeding the two above) only while
  this process holds the cluster's lease: on winning it, it says hello and lists every type
  afresh; on losing it, its reflectors stop at once.

The same classes serve the ``agent`` command and ``serve`` replicas with NATS.
"""

from __future__ import annotations

import asyncio
import logging

from graphql_server.broker.leases import Holding, Lease, LeaseStore
from graphql_server.broker.oplog import OperationLog
from graphql_server.errors import BadInput, KubernetesError
from graphql_server.kube.client import KubeClient
from graphql_server.kube.discovery import ResourceType
from graphql_server.kube.watching import Reflector
from graphql_server.retrying import Backoff, retry
from graphql_server.sync.clusters import ClusterSync, SyncOptions
from graphql_server.sync.scaleout.operations import (
    CLUSTER_REPORT,
    Forget,
    Hello,
    Item,
    Report,
    Served,
    Stopped,
    Track,
    encode,
    encode_within,
    trimmed,
)
from graphql_server.sync.writer import Operation, Upsert, settle
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)


class ClusterPublisher:
    """One cluster's operations on their way to the operations stream."""

    def __init__(self, oplog: OperationLog, cluster_id: str) -> None:
        self.oplog = oplog
        self.cluster_id = cluster_id
        self.epoch = 0  # the lease epoch operations are tagged with; 0 while not holding
        self.entries = 0
        self.trimmed = 0

    async def put(self, operation: Operation) -> None:
        try:
            epoch = self.epoch
            if not epoch:
                return  # not holding the lease: whoever holds it reports this cluster
            for data in encode_within(operation, self.oplog.max_entry):
                await self.oplog.publish(self.cluster_id, epoch, self._framed(data, operation))
                self.entries += 1
        finally:
            settle(operation)  # stored by the replicas: the stream is what settles here

    def put_nowait(self, item: Item) -> None:
        """Progress messages: small, and never worth making a caller wait."""
        if self.epoch:
            self.oplog.publish_nowait(self.cluster_id, self.epoch, self._framed(encode(item), item))
            self.entries += 1

    def _framed(self, data: bytes, item: Item) -> bytes:
        try:
            return self.oplog.framed(data)
        except BadInput:
            if not isinstance(item, Upsert) or len(item.rows) != 1:
                raise
            row = item.rows[0]
            self.trimmed += 1
            log.warning(
                "%s %s/%s is too large for a message: storing its metadata only",
                row.kind,
                row.namespace,
                row.name,
                extra={"cluster_id": self.cluster_id},
            )
            return self.oplog.framed(encode(trimmed(item)))


class ReportingTracker:
    """Progress of one cluster's sync, sent on the operations stream (a ``ProgressSink``)."""

    def __init__(self, publisher: ClusterPublisher) -> None:
        self.publisher = publisher
        self.types: dict[str, ResourceType] = {}
        self.phases: dict[str, tuple[str, str | None]] = {}

    def track(self, cluster_id: str, resource_type: ResourceType, count: int) -> None:
        self.types[resource_type.name] = resource_type
        self.phases.pop(resource_type.name, None)
        self.publisher.put_nowait(Track(cluster_id, resource_type))

    def report(self, cluster_id: str, type_name: str, phase: str, error: str | None = None) -> None:
        if self.phases.get(type_name) == (phase, error):
            return
        self.phases[type_name] = (phase, error)
        self.publisher.put_nowait(Report(cluster_id, type_name, phase, error))

    def forget(self, cluster_id: str, type_name: str) -> None:
        self.types.pop(type_name, None)
        self.phases.pop(type_name, None)
        self.publisher.put_nowait(Forget(cluster_id, type_name))

    def stopped(self, cluster_id: str) -> None:
        self.publisher.put_nowait(Stopped(cluster_id))

    def set_cluster_error(self, cluster_id: str, error: str | None) -> None:
        """Sent as the report of no type (``CLUSTER_REPORT``): the cluster's own error."""
        phase = "DEGRADED" if error else "SYNCED"
        self.publisher.put_nowait(Report(cluster_id, CLUSTER_REPORT, phase, error))

    def announce(self, cluster_id: str) -> None:
        """Everything known again, for a store writer that just took over."""
        for name, resource_type in self.types.items():
            self.publisher.put_nowait(Track(cluster_id, resource_type))
            if name in self.phases:
                phase, error = self.phases[name]
                self.publisher.put_nowait(Report(cluster_id, name, phase, error))

    def reset(self) -> None:
        self.types.clear()
        self.phases.clear()


class LeasedClusterSync:
    """Watches a cluster only while holding its lease, publishing what it sees.

    Made of a ``ClusterSync`` fed into a ``ClusterPublisher`` and a ``ReportingTracker``,
    and a ``Holding`` of the cluster's lease that runs it while held.
    """

    def __init__(
        self,
        cluster_id: str,
        client: KubeClient,
        oplog: OperationLog,
        leases: LeaseStore,
        holder: str,
        options: SyncOptions,
        hello: Hello,
        restarts: TaskRestarts | None = None,
    ) -> None:
        self.cluster_id = cluster_id
        self.publisher = ClusterPublisher(oplog, cluster_id)
        self.reporting = ReportingTracker(self.publisher)
        self.sync = ClusterSync(
            cluster_id, client, self.publisher, self.reporting, options, restarts=restarts
        )
        self.hello = hello
        self.holding = Holding(leases, f"cluster.{cluster_id}", holder)
        self.tasks = TaskOwner(f"leased:{cluster_id[:8]}", restarts)

    @property
    def held(self) -> bool:
        return self.holding.held

    @property
    def reflectors(self) -> dict[str, tuple[Reflector, asyncio.Task[None]]]:
        return self.sync.reflectors

    async def start(self) -> None:
        """Contend for the lease; types stored but no longer served are the writer's call."""
        self.tasks.keep("lease", lambda: self.holding.run(self._watch))

    async def _watch(self, lease: Lease) -> None:
        self.publisher.epoch = lease.epoch
        self.reporting.reset()
        self.publisher.put_nowait(self.hello)
        try:
            await self._discover()
            self.publisher.put_nowait(Served(self.cluster_id, frozenset(self.reflectors)))
            self.sync.log.info(
                "cluster %s: watching (lease epoch %d)", self.cluster_id, lease.epoch
            )
            await asyncio.Event().wait()
        finally:
            await self.sync.pause()
            self.publisher.epoch = 0

    async def _discover(self) -> None:
        """Start a reflector per served type, retrying while the cluster is unreachable."""
        await retry(
            self.sync.start,
            Backoff(1.0, 30.0),
            errors=KubernetesError,
            on_retry=lambda exc, delay: self.sync.log.warning(
                "cluster %s: discovery failed (%s); retrying in %.0fs",
                self.cluster_id,
                exc.message if isinstance(exc, KubernetesError) else exc,
                delay,
            ),
        )

    async def resync(self) -> None:
        if self.held:
            await self.sync.resync()

    def relist_later(self, type_name: str) -> None:
        if self.held:
            self.sync.relist_later(type_name)

    def relisted(self, type_name: str) -> None:
        self.sync.relisted(type_name)

    def announce(self) -> None:
        if self.held:
            self.publisher.put_nowait(self.hello)
            self.reporting.announce(self.cluster_id)

    async def stop(self) -> None:
        if self.held:
            self.publisher.put_nowait(Stopped(self.cluster_id))
        await self.tasks.close()  # stops watching, then gives the lease up
        await self.sync.stop()
