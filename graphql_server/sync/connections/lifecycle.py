"""Syncing Kubernetes connections: the sync side of the connection lifecycle.

Owns answering the ``connect``, ``disconnect`` and ``purge`` commands the API publishes
for a Kubernetes connection. Commands are treated as "look again": each one reconciles
the sync with the connection's status as stored now, so commands that arrive out of
order still end in the right state. A CONNECTED connection is synced (its cluster id
recorded on it once known); any other status stops its sync unless another connection
still syncs the same cluster (the rows stay, marked STOPPED); DELETED also removes the
cluster's inventory unless another connection still refers to that cluster.

Runs alongside: the command line's clusters as connections (``command_line``), sync
errors in the event log (``sync_errors``) and monitoring discovery (``monitoring``).
Commands reach it as typed ``Reconcile`` commands through the service's command
table; a command-line source that started syncing is reported by the service
(``on_connected``).
Secrets are opened only to build a client and never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphql_server.broker import Broker
from graphql_server.crypto import DecryptionFailed
from graphql_server.errors import (
    BadInput,
    ConfigurationError,
    Conflict,
    GraphQLServerError,
    InvalidTransition,
    KubernetesError,
)
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.store import Store
from graphql_server.store.connections import Changes, ConnectionQuery, ConnectionRecord
from graphql_server.sync.commands import Reconcile
from graphql_server.sync.connecting import ClusterSource, reconnect_backoff
from graphql_server.sync.connections.command_line import CommandLineClusters
from graphql_server.sync.connections.monitoring import MonitoringDiscovery
from graphql_server.sync.connections.notices import Notices
from graphql_server.sync.connections.sources import ConnectionSource
from graphql_server.sync.connections.sync_errors import SyncErrorLog
from graphql_server.sync.health import SourceHealth
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.supervisor import Supervisor
from graphql_server.sync.writer import Writer
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

ACTOR = "sync"
_FINAL_STATUSES = (401, 403)
PURGE_WAIT = 30.0


class ConnectionSync:
    """Keeps the supervisor's syncs in line with the stored Kubernetes connections."""

    def __init__(
        self,
        store: Store,
        broker: Broker,
        supervisor: Supervisor,
        writer: Writer,
        tracker: SyncTracker,
        sources: Sequence[ClusterSource] = (),
        restarts: TaskRestarts | None = None,
    ) -> None:
        self.store = store
        self.supervisor = supervisor
        self.writer = writer
        self.tracker = tracker
        self.sources = tuple(sources)
        self.notices = Notices(store, broker, ACTOR)
        self.tasks = TaskOwner("connections", restarts)
        self.bound: dict[str, str] = {}  # connection id -> cluster id it syncs
        self.connecting: dict[str, asyncio.Task[Any]] = {}
        self._lock = asyncio.Lock()
        self._connect_lock = asyncio.Lock()
        self.command_line = CommandLineClusters(store, self.notices, self.sources)
        self.health = SourceHealth()
        self.sync_errors = SyncErrorLog(store, self.notices)
        self.monitoring = MonitoringDiscovery(store, broker, supervisor, tracker, self.notices)

    async def start(self) -> None:
        self.tasks.keep("restore", self.restore)
        self.tasks.keep("sync-errors", self.sync_errors.run)
        self.tasks.keep("monitoring", self.monitoring.run)

    async def stop(self) -> None:
        await self.tasks.close()
        self.connecting.clear()

    # -- startup -------------------------------------------------------------------

    async def restore(self) -> None:
        """Register the command line's kubeconfig contexts; reconnect CONNECTED ones."""
        given = await self.command_line.identities()
        await self.command_line.register_contexts()
        connected = await self.store.connections.select(
            ConnectionQuery(kinds=("kubernetes",), statuses=(ConnectionStatus.CONNECTED,))
        )
        for record in connected:
            if record.identity not in given:  # the command line connects those itself
                await self.reconcile(record.id)

    async def on_unreachable(self, source: ClusterSource, exc: BaseException) -> None:
        """A command-line source could not be connected: record it on its connection."""
        news = self.health.failed(source.name, exc)
        try:
            await self.command_line.unreachable(source, exc, news)
        except GraphQLServerError as error:
            log.warning(
                "cannot record the failure of %s: %s",
                source.name,
                error.message,
                extra={"source": source.name},
            )

    async def on_connected(self, source: ClusterSource, cluster_id: str) -> None:
        """A command-line source started syncing: record it on its connection."""
        if isinstance(source, ConnectionSource):
            return
        self.health.succeeded(source.name)
        try:
            record = await self.command_line.connected(source, cluster_id)
            async with self._lock:
                self.bound[record.id] = cluster_id
        except GraphQLServerError as exc:
            log.warning(
                "cannot record the connection of %s: %s",
                source.name,
                exc.message,
                extra={"cluster_id": cluster_id, "source": source.name},
            )

    # -- commands ------------------------------------------------------------------

    async def on_command(self, command: Reconcile) -> None:
        await self.reconcile(command.connection_id)

    async def reconcile(self, connection_id: str) -> None:
        async with self._lock:
            record = await self.store.connections.get(connection_id)
            if record is None or record.kind != "kubernetes":
                return
            if record.status is ConnectionStatus.CONNECTED:
                cluster_id = self.bound.get(record.id)
                running = self.connecting.get(record.id)
                if cluster_id in self.supervisor.clusters or (running and not running.done()):
                    return
                self.connecting[record.id] = self.tasks.spawn(
                    f"connect:{record.id[:8]}", self._connect(record.id)
                )
                return
            running = self.connecting.pop(record.id, None)
            if running is not None:
                await self.tasks.cancel(running)
            self.health.forget(record.name)
            await self._release(record)

    async def _release(self, record: ConnectionRecord) -> None:
        """Stop syncing for a connection that left CONNECTED; purge if it was deleted."""
        cluster_id = self.bound.pop(record.id, None) or record.cluster_id
        if cluster_id is None:
            return
        still_bound = cluster_id in self.bound.values()
        if cluster_id in self.supervisor.clusters and not still_bound:
            # Logged as soon as decided: a move back to CONNECTED made while the watches
            # wind down must come after it in the log.
            await self.notices.log_connection(
                record,
                "sync",
                f"stopped syncing cluster {cluster_id} for {record.name!r}; its inventory "
                "is kept and marked STOPPED",
                details={"clusterId": cluster_id},
            )
            await self.supervisor.disconnect(cluster_id)
            await self.tracker.flush()
        if record.status is ConnectionStatus.DELETED:
            await self._purge(cluster_id, record)

    async def _purge(self, cluster_id: str, record: ConnectionRecord) -> None:
        others = await self.store.connections.referring_to_cluster(cluster_id, exclude=record.id)
        if others or cluster_id in self.supervisor.clusters:
            await self.notices.log_connection(
                record,
                "sync",
                f"kept the inventory of cluster {cluster_id}: "
                f"{max(len(others), 1)} other connection(s) still refer to it",
                details={"clusterId": cluster_id},
            )
            return
        try:  # nothing queued for it may land afterwards
            async with asyncio.timeout(PURGE_WAIT):
                await self.writer.idle()
        except TimeoutError:
            log.warning(
                "purging cluster %s while the writer is still busy",
                cluster_id,
                extra={"cluster_id": cluster_id},
            )
        await self.tracker.flush()
        self.tracker.clusters.pop(cluster_id, None)
        removed = await self.store.resources.delete_cluster(cluster_id)
        await self.store.clusters.delete(cluster_id)
        await self.notices.log_connection(
            record,
            "sync",
            f"removed the inventory of cluster {cluster_id} ({removed} resources)",
            details={"clusterId": cluster_id, "removed": removed},
        )

    # -- connecting ----------------------------------------------------------------

    async def source_for(self, record: ConnectionRecord) -> ConnectionSource:
        metadata = record.metadata
        context = metadata.get("context")
        path = metadata.get("kubeconfigPath")
        credential_type: str | None = None
        secret: dict[str, Any] = {}
        if record.credential_id:
            credential, secret = await self.store.credentials.secret(record.credential_id)
            credential_type = credential.type
        return ConnectionSource(
            name=record.name,
            kubeconfig=Path(path) if path and credential_type is None else None,
            context=str(context) if context else None,
            connection_id=record.id,
            credential_type=credential_type,
            secret=secret,
            server=record.url or None,
            in_cluster=bool(metadata.get("inCluster")),
        )

    async def _connect(self, connection_id: str) -> None:
        backoff = reconnect_backoff()
        warned = False
        while True:
            record = await self.store.connections.get(connection_id)
            if record is None or record.status is not ConnectionStatus.CONNECTED:
                return
            try:
                source = await self.source_for(record)
                async with self._connect_lock:
                    cluster_id = await self.supervisor.connect(source)
            except (ConfigurationError, BadInput, DecryptionFailed) as exc:
                await self._give_up(record, exc.message)
                return
            except KubernetesError as exc:
                self.health.failed(record.name, exc)
                if exc.status in _FINAL_STATUSES:
                    await self._give_up(record, exc.message)
                    return
                if not warned:
                    warned = True
                    await self.notices.log_connection(
                        record,
                        "sync_error",
                        f"cannot reach {record.name!r} to sync it ({exc.message}); retrying",
                        severity="warning",
                    )
                await backoff.sleep()
                continue
            self.health.succeeded(record.name)
            await self._connected(record.id, cluster_id)
            return

    async def _connected(self, connection_id: str, cluster_id: str) -> None:
        async with self._lock:
            self.connecting.pop(connection_id, None)
            self.bound[connection_id] = cluster_id
            record = await self.store.connections.get(connection_id)
            if record is None or record.status is not ConnectionStatus.CONNECTED:
                if record is not None:
                    await self._release(record)
                return
            if record.cluster_id != cluster_id:
                record = await self.store.connections.update(
                    record.id,
                    Changes(cluster_id=cluster_id, merge_metadata={"clusterId": cluster_id}),
                )
                await self.notices.announce("UPDATED", record)
        await self.notices.log_connection(
            record,
            "sync",
            f"syncing cluster {cluster_id} for {record.name!r}",
            severity="success",
            details={"clusterId": cluster_id},
        )

    async def _give_up(self, record: ConnectionRecord, why: str) -> None:
        """A credential that cannot work: back to REGISTERED, with the reason logged."""
        async with self._lock:
            self.connecting.pop(record.id, None)
        await self.notices.log_connection(
            record, "sync_error", f"cannot sync {record.name!r}: {why}", severity="error"
        )
        try:
            updated, plan = await self.store.connections.transition(
                record.id,
                ConnectionStatus.REGISTERED,
                Changes(merge_metadata={"lastSyncError": why}),
                expected=ConnectionStatus.CONNECTED,
            )
        except (Conflict, InvalidTransition):
            return  # moved meanwhile; the command for that move decides
        if plan.changed:
            await self.notices.moved(plan.source, updated, why, severity="warning")
