"""``graphql-server agent``: the discovery engine alone, publishing to NATS JetStream.

Owns the agent process: for each cluster source (kubeconfig contexts, or the pod's
service account) it identifies the cluster and watches it while it holds the
cluster's lease (``sync.publishing``), publishing the writer operations to the
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
from graphql_server.errors import ConfigurationError, KubernetesError
from graphql_server.events import COMMANDS_TOPIC, ClusterCommand
from graphql_server.kube.discovery import identify
from graphql_server.kube.watching import Backoff
from graphql_server.sync.applying import ALL_CLUSTERS
from graphql_server.sync.clusters import SyncOptions
from graphql_server.sync.operations import Hello
from graphql_server.sync.publishing import LeasedClusterSync
from graphql_server.sync.scaleout import ScaleOutOptions, holder_name
from graphql_server.sync.service import source_context
from graphql_server.sync.supervisor import ClusterSource
from graphql_server.tasks import TaskOwner

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
        self.broker = NatsBroker(
            nats_url,
            NatsOptions(prefix=settings.prefix, connect_wait=connect_wait),
            name=f"graphql-server agent {self.holder}",
            follow=(),
        )
        self.oplog = OperationLog(
            self.broker.client,
            settings.prefix,
            producer=self.broker.instance,
            retention=settings.operation_retention,
            outbox_bytes=settings.outbox_bytes,
        )
        self.leases = LeaseStore(self.broker.client, settings.prefix, settings.lease_ttl)
        self.syncs: dict[str, LeasedClusterSync] = {}
        self.tasks = TaskOwner("agent")

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
        self.tasks.spawn("operations-outbox", self.oplog.outbox.run())
        self.tasks.spawn("commands", self._serve_commands())
        for source in self.sources:
            self.tasks.spawn(f"connect:{source.name}", self._connect(source))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sync in list(self.syncs.values()):
            await sync.stop()  # says it stopped, gives the lease up
        self.syncs.clear()
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

    async def _connect(self, source: ClusterSource) -> None:
        backoff = Backoff(1.0, 60.0)
        while True:
            try:
                client = await source.client()
            except ConfigurationError as exc:
                log.error(
                    "cannot watch %s: %s", source.name, exc.message, extra=source_context(source)
                )
                return
            try:
                identity = await identify(client)
            except KubernetesError as exc:
                await client.close()
                delay = backoff.next_delay()
                log.warning(
                    "cannot reach %s (%s); retrying in %.0fs",
                    source.name,
                    exc.message,
                    delay,
                    extra=source_context(source),
                )
                await asyncio.sleep(delay)
                continue
            except BaseException:
                await client.close()
                raise
            if identity.uid in self.syncs:
                await client.close()
                return
            hello = Hello(identity.uid, source.name, client.server, identity.version)
            sync = LeasedClusterSync(
                identity.uid, client, self.oplog, self.leases, self.holder, self.options, hello
            )
            self.syncs[identity.uid] = sync
            await sync.start(set())
            log.info(
                "cluster %s (%s): watching while this agent holds its lease",
                identity.uid,
                source.name,
                extra={"cluster_id": identity.uid},
            )
            return

    async def _serve_commands(self) -> None:
        async with self.broker.subscribe(COMMANDS_TOPIC) as commands:
            async for message in commands:
                if not isinstance(message, ClusterCommand):
                    continue
                targets = (
                    list(self.syncs.values())
                    if message.cluster_id == ALL_CLUSTERS
                    else [s for s in (self.syncs.get(message.cluster_id),) if s is not None]
                )
                for sync in targets:
                    if message.action == "resync":
                        await sync.resync()
                    elif message.action == "announce":
                        sync.announce()

    @property
    def holding(self) -> list[str]:
        """Clusters this agent watches right now."""
        return [cluster_id for cluster_id, sync in self.syncs.items() if sync.held]


async def run_agent(agent: Agent) -> None:
    """Run until cancelled (SIGINT/SIGTERM in the command)."""
    async with agent:
        await asyncio.Event().wait()
