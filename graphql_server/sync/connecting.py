"""Connecting a cluster: the one sequence every sync variant goes through.

Owns :class:`ClusterSource` (where to reach a cluster), :func:`connect_cluster` (open a
client, identify the cluster by the uid of its kube-system namespace, keep one sync
per cluster however many sources reach it, start it, log it) and
:func:`connect_retrying` (the same, again with backoff while the cluster is
unreachable; a bad configuration is final). What a sync *is* comes from the caller,
as a ``BuildSync`` callable: the embedded sync writes to the store, the scale-out
one publishes under a lease. Must not know either variant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from graphql_server.errors import ConfigurationError, KubernetesError
from graphql_server.kube.client import KubeClient
from graphql_server.kube.config import client_from_kubeconfig, client_in_cluster
from graphql_server.kube.discovery import ClusterIdentity, identify
from graphql_server.retrying import Backoff, retry
from graphql_server.sync.clusters import WatchedCluster

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


def source_context(source: ClusterSource) -> dict[str, str]:
    """Log fields naming a cluster source before its cluster id is known."""
    context = {"source": source.name}
    connection_id = getattr(source, "connection_id", "")
    if connection_id:
        context["connection_id"] = str(connection_id)
    return context


IDENTIFY_TIMEOUT = 15.0
"""Seconds a cluster has to answer who it is before the attempt counts as failed."""

# Builds the (not yet started) sync of a newly identified cluster.
BuildSync = Callable[[ClusterSource, KubeClient, ClusterIdentity], Awaitable[WatchedCluster]]


async def connect_cluster(
    source: ClusterSource,
    syncs: MutableMapping[str, WatchedCluster],
    lock: asyncio.Lock,
    build: BuildSync,
    watching: str = "",
) -> str:
    """Start syncing the cluster behind ``source`` unless it already is; its cluster id.

    ``lock`` makes one connect at a time decide whether a cluster is new: two sources
    racing to one cluster must not start two syncs of it. ``watching`` ends the log line.
    """
    client = await source.client()
    try:
        try:
            async with asyncio.timeout(IDENTIFY_TIMEOUT):
                identity = await identify(client)
        except TimeoutError as exc:
            raise KubernetesError(
                f"cannot reach {client.server}: no answer within {IDENTIFY_TIMEOUT:g} s"
            ) from exc
    except BaseException:
        await client.close()
        raise
    async with lock:
        if identity.uid in syncs:
            await client.close()
            return identity.uid
        try:
            sync = await build(source, client, identity)
        except BaseException:
            await client.close()
            raise
        syncs[identity.uid] = sync
        try:
            await sync.start()
        except BaseException:
            del syncs[identity.uid]
            await sync.stop()
            raise
    log.info(
        "cluster %s (%s) connected at %s%s",
        identity.uid,
        source.name,
        client.server,
        watching,
        extra={"cluster_id": identity.uid},
    )
    return identity.uid


def reconnect_backoff() -> Backoff:
    """Waits between attempts on an unreachable cluster: 1 s to a minute, jittered."""
    return Backoff(1.0, 60.0)


async def connect_retrying(
    connect: Callable[[ClusterSource], Awaitable[str]], source: ClusterSource
) -> None:
    """Connect, retrying while the cluster is unreachable; a bad configuration is final."""

    def unreachable(exc: BaseException, delay: float) -> None:
        log.warning(
            "cannot reach %s (%s); retrying in %.0fs",
            source.name,
            exc.message if isinstance(exc, KubernetesError) else exc,
            delay,
            extra=source_context(source),
        )

    try:
        await retry(
            lambda: connect(source),
            reconnect_backoff(),
            errors=KubernetesError,
            on_retry=unreachable,
        )
    except ConfigurationError as exc:
        log.error("cannot connect %s: %s", source.name, exc.message, extra=source_context(source))
