"""Starts and stops the sync of each connected cluster.

A cluster is identified by the uid of its kube-system namespace, so two sources that
reach one cluster share one sync (``sync.connecting``). What each cluster's sync is
comes in as a ``BuildSync`` part: :class:`LocalClusters` here (reflectors feeding
this process's writer and tracker), a leased publishing sync in
``sync.scaleout``. Commands arrive on the broker (``sync.commands``); the API never
calls into this package directly.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from graphql_server.errors import NotFound
from graphql_server.kube.client import KubeClient
from graphql_server.kube.discovery import ClusterIdentity
from graphql_server.store import Store
from graphql_server.store.resources import ResourceQuery
from graphql_server.sync.clusters import ClusterSync, SyncOptions, WatchedCluster
from graphql_server.sync.commands import ALL_CLUSTERS
from graphql_server.sync.connecting import BuildSync, ClusterSource, connect_cluster
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.writer import Writer
from graphql_server.tasks import TaskRestarts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocalClusters:
    """Builds a cluster's sync that feeds this process's writer and status tracker."""

    store: Store
    writer: Writer
    tracker: SyncTracker
    options: SyncOptions
    restarts: TaskRestarts | None = None  # where its watch loops' restarts are counted

    async def __call__(
        self, source: ClusterSource, client: KubeClient, identity: ClusterIdentity
    ) -> ClusterSync:
        rows = await self.store.resources.count_by(
            ResourceQuery(cluster_ids=(identity.uid,)), ["resource_type"]
        )
        resume = await self.store.clusters.resume_versions(identity.uid)
        await self.store.clusters.upsert(identity.uid, source.name, client.server, identity.version)
        return ClusterSync(
            identity.uid,
            client,
            self.writer,
            self.tracker,
            self.options,
            resume,
            {r["resource_type"]: int(r["n"]) for r in rows},
            self.restarts,
        )


class Supervisor:
    """The clusters this process syncs, each built by ``build``.

    ``strict``: a resync of a cluster not synced here is an error (one process syncs
    everything); otherwise it is someone else's (scale-out: whoever holds the lease).
    """

    def __init__(
        self,
        build: BuildSync,
        *,
        strict: bool = True,
        watching: str = "",
    ) -> None:
        self.build = build
        self.strict = strict
        self.watching = watching
        self.clusters: dict[str, WatchedCluster] = {}
        self._connecting = asyncio.Lock()

    async def connect(self, source: ClusterSource) -> str:
        """Start syncing the cluster behind ``source``; returns its cluster id."""
        return await connect_cluster(
            source, self.clusters, self._connecting, self.build, self.watching
        )

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

    def matching(self, cluster_id: str) -> list[WatchedCluster]:
        """The syncs a command names: one cluster, or ``ALL_CLUSTERS`` (not strict only)."""
        if cluster_id == ALL_CLUSTERS and not self.strict:
            return list(self.clusters.values())
        sync = self.clusters.get(cluster_id)
        if sync is None and self.strict:
            raise NotFound(f"cluster {cluster_id} is not being synced")
        return [] if sync is None else [sync]

    async def resync(self, cluster_id: str) -> None:
        for sync in self.matching(cluster_id):
            await sync.resync()

    async def close(self) -> None:
        for cluster_id in list(self.clusters):
            await self.disconnect(cluster_id)
