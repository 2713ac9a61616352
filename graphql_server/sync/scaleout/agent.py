"""``graphql-server agent``: the discovery engine alone, publishing to NATS JetStream.

Owns the agent process: for each cluster source (kubeconfig contexts, or the pod's
service account) it identifies the cluster and watches it while it holds the
cluster's lease (``sync.scaleout.publishing``), publishing the writer operations to the
operations stream. It answers ``resync`` (relist) and ``announce`` (say again what
is watched) commands from any replica. It needs no database.

While NATS is away, operations wait in the outbox (bounded: the watch loops wait
beyond it, nothing is dropped) and go out, in order, once NATS is back; if the
outage outlasts the lease, the agent stops watching and relists when it wins the
lease again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from types import TracebackType

from graphql_server.broker.leases import LeaseStore
from graphql_server.broker.nats import NatsBroker, NatsOptions
from graphql_server.broker.oplog import OperationLog
from graphql_server.errors import ConfigurationError
from graphql_server.sync.clusters import SyncOptions
from graphql_server.sync.commands import Announce, CommandTable, Resync, serve_commands
from graphql_server.sync.connecting import ClusterSource, connect_retrying
from graphql_server.sync.scaleout.publishing import LeasedClusterSync
from graphql_server.sync.scaleout.replica import (
    LeasedClusters,
    ScaleOutOptions,
    announce,
    holder_name,
    leased_supervisor,
)
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

FLUSH_GRACE = 10.0


class Agent:
    """Watches its clusters under their leases and publishes what it sees."""

    def __init__(
        self,
        nats_url: str,
        sources: Sequence[ClusterSource],
        options: SyncOptions,
        scale_out: ScaleOutOptions | None = None,
        *,
        holder: str | None = None,
        connect_wait: float = 30.0,
    ) -> None:
        settings = scale_out or ScaleOutOptions()
        self.sources = tuple(sources)
        self.options = options
        self.holder = holder or holder_name("agent")
        self.restarts = TaskRestarts()  # the agent's kept tasks, its broker's among them
        self.broker = NatsBroker(
            nats_url,
            NatsOptions(prefix=settings.prefix, connect_wait=connect_wait),
            name=f"graphql-server agent {self.holder}",
            follow=(),
            restarts=self.restarts,
        )
        self.oplog = OperationLog(
            self.broker.client,
            settings.prefix,
            producer=self.broker.instance,
            retention=settings.operation_retention,
            outbox_bytes=settings.outbox_bytes,
        )
        self.leases = LeaseStore(self.broker.client, settings.prefix, settings.lease_ttl)
        self.supervisor = leased_supervisor(
            LeasedClusters(self.oplog, self.leases, self.holder, options, self.restarts)
        )
        self.commands = CommandTable(resync=self._resync, announce=self._announce)
        self.tasks = TaskOwner("agent", self.restarts)

    async def _resync(self, command: Resync) -> None:
        await self.supervisor.resync(command.cluster_id)

    async def _announce(self, command: Announce) -> None:
        await announce(self.supervisor, command)

    async def __aenter__(self) -> Agent:
        if not self.sources:
            raise ConfigurationError("the agent has no cluster to watch: pass --kubeconfig")
        await self.broker.start()
        try:
            await self.oplog.open()
            await self.leases.open()
        except BaseException:
            await self.broker.stop()
            raise
        self.tasks.keep("operations-outbox", self.oplog.outbox.run)
        self.tasks.keep("commands", lambda: serve_commands(self.broker, self.commands))
        for source in self.sources:
            self.tasks.spawn(
                f"connect:{source.name}", connect_retrying(self.supervisor.connect, source)
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.supervisor.close()  # each says it stopped and gives its lease up
        if self.oplog.outbox.pending and self.broker.client.connected:
            try:
                async with asyncio.timeout(FLUSH_GRACE):
                    await self.oplog.outbox.flushed()
            except TimeoutError:
                log.warning(
                    "stopping with %d operations not handed to NATS", self.oplog.outbox.pending
                )
        await self.tasks.close()
        await self.broker.stop()

    @property
    def holding(self) -> list[str]:
        """Clusters this agent watches right now."""
        return [
            cluster_id
            for cluster_id, sync in self.supervisor.clusters.items()
            if isinstance(sync, LeasedClusterSync) and sync.held
        ]


async def run_agent(agent: Agent) -> None:
    """Run until cancelled (SIGINT/SIGTERM in the command)."""
    async with agent:
        await asyncio.Event().wait()
