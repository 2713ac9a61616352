"""Starts and stops the sync of each connected cluster, and answers commands.

A cluster is identified by the uid of its kube-system namespace, so two
contexts that reach one cluster share one sync. Commands (``resync``) arrive
on the broker; the API never calls into this package directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from graphql_server.broker import Broker
from graphql_server.errors import GraphQLServerError, NotFound
from graphql_server.events import COMMANDS_TOPIC, ClusterCommand
from graphql_server.kube.client import KubeClient
from graphql_server.kube.config import client_from_kubeconfig, client_in_cluster
from graphql_server.kube.discovery import identify
from graphql_server.store import Store
from graphql_server.store.resources import ResourceQuery
from graphql_server.sync.clusters import ClusterSync, SyncOptions
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.writer import Writer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClusterSource:
    """Where to reach a cluster: a kubeconfig context, or the pod's service account."""

    name: str
    kubeconfig: Path | None = None
    context: str | None = None

    async def client(self) -> KubeClient:
        if self.kubeconfig is None:
            return client_in_cluster()
        return await client_from_kubeconfig(self.kubeconfig, self.context)


class Supervisor:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        writer: Writer,
        tracker: SyncTracker,
        options: SyncOptions,
    ) -> None:
        self.store = store
        self.broker = broker
        self.writer = writer
        self.tracker = tracker
        self.options = options
        self.clusters: dict[str, ClusterSync] = {}
        self._connecting = asyncio.Lock()
        # More command actions (sync.connections: connect, disconnect, purge), and
        # hooks told of every source connected, with its cluster id.
        self.handlers: dict[str, Callable[[ClusterCommand], Awaitable[None]]] = {}
        self.connected_hooks: list[Callable[[ClusterSource, str], Awaitable[None]]] = []

    async def _connected(self, source: ClusterSource, cluster_id: str) -> None:
        for hook in self.connected_hooks:
            await hook(source, cluster_id)

    async def connect(self, source: ClusterSource) -> str:
        """Start syncing the cluster behind ``source``; returns its cluster id."""
        client = await source.client()
        try:
            identity = await identify(client)
        except BaseException:
            await client.close()
            raise
        # One connect at a time decides whether a cluster is new: two contexts racing
        # to the same cluster must not start two syncs of it.
        async with self._connecting:
            if identity.uid in self.clusters:
                await client.close()
                await self._connected(source, identity.uid)
                return identity.uid
            sync = ClusterSync(
                identity.uid,
                client,
                self.writer,
                self.tracker,
                self.options,
                await self.store.clusters.resume_versions(identity.uid),
                await self._counts(identity.uid),
            )
            self.clusters[identity.uid] = sync
            try:
                await self.store.clusters.upsert(
                    identity.uid, source.name, client.server, identity.version
                )
                await sync.start(set(sync.resume) | set(sync.counts))
            except BaseException:
                del self.clusters[identity.uid]
                await sync.stop()
                raise
        log.info(
            "cluster %s (%s) connected at %s",
            identity.uid,
            source.name,
            client.server,
            extra={"cluster_id": identity.uid},
        )
        await self._connected(source, identity.uid)
        return identity.uid

    async def _counts(self, cluster_id: str) -> dict[str, int]:
        rows = await self.store.resources.count_by(
            ResourceQuery(cluster_ids=(cluster_id,)), ["resource_type"]
        )
        return {r["resource_type"]: int(r["n"]) for r in rows}

    async def disconnect(self, cluster_id: str) -> None:
        sync = self.clusters.pop(cluster_id, None)
        if sync is None:
            raise NotFound(f"cluster {cluster_id} is not being synced")
        await sync.stop()
        log.info(
            "cluster %s disconnected; its rows are kept and marked stale",
            cluster_id,
            extra={"cluster_id": cluster_id},
        )

    async def resync(self, cluster_id: str) -> None:
        sync = self.clusters.get(cluster_id)
        if sync is None:
            raise NotFound(f"cluster {cluster_id} is not being synced")
        await sync.resync()

    async def serve_commands(self) -> None:
        async with self.broker.subscribe(COMMANDS_TOPIC) as commands:
            async for message in commands:
                if not isinstance(message, ClusterCommand):
                    continue
                try:
                    if message.action == "resync":
                        await self.resync(message.cluster_id)
                    elif message.action in self.handlers:
                        await self.handlers[message.action](message)
                    else:
                        log.warning("unknown sync command %r", message.action)
                except GraphQLServerError as exc:
                    log.warning(
                        "command %s failed: %s",
                        message.action,
                        exc.message,
                        extra={"cluster_id": message.cluster_id},
                    )

    async def close(self) -> None:
        for cluster_id in list(self.clusters):
            await self.disconnect(cluster_id)
