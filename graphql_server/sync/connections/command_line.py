"""Clusters the operator passes on the command line, as Kubernetes connections.

Owns turning each context of a ``--kubeconfig`` file into a Kubernetes connection
(DISCOVERED until it syncs) and, when a command-line source starts syncing, moving
its connection to CONNECTED with the cluster id recorded. Each attempt to connect one
is its connection's ``lastTest``, so a cluster that cannot be reached is visible from
the first failure. The pod's own cluster (no
kubeconfig) is the ``in-cluster`` connection. Must not connect anything itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphql_server.kube.config import kubeconfig_contexts
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.store import Store
from graphql_server.store.connections import Changes, ConnectionRecord
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.connections.notices import Notices
from graphql_server.sync.connections.sources import (
    IN_CLUSTER,
    absolute,
    kubeconfig_identity,
    kubeconfig_servers,
)
from graphql_server.sync.health import failure_message, failure_reason

log = logging.getLogger(__name__)


class CommandLineClusters:
    def __init__(self, store: Store, notices: Notices, sources: Sequence[ClusterSource]) -> None:
        self.store = store
        self.notices = notices
        self.sources = tuple(sources)

    async def identify(self, source: ClusterSource) -> tuple[str, str, str]:
        """(identity, context name, server URL) of a command-line source."""
        if source.kubeconfig is None:
            return IN_CLUSTER, IN_CLUSTER, ""
        servers = await asyncio.to_thread(kubeconfig_servers, source.kubeconfig)
        context = source.context
        if context is None:
            found = await asyncio.to_thread(kubeconfig_contexts, source.kubeconfig)
            context = next((c.name for c in found if c.current), source.name)
        return kubeconfig_identity(source.kubeconfig, context), context, servers.get(context, "")

    async def identities(self) -> set[str]:
        return {(await self.identify(source))[0] for source in self.sources}

    async def register_contexts(self) -> None:
        """Every context of every kubeconfig file given becomes a connection."""
        for path in dict.fromkeys(s.kubeconfig for s in self.sources if s.kubeconfig):
            servers = await asyncio.to_thread(kubeconfig_servers, path)
            for context, server in servers.items():
                await self._discover_context(path, context, server)

    async def _discover_context(self, path: Path, context: str, server: str) -> ConnectionRecord:
        record, created = await self.store.connections.discover(
            identity=kubeconfig_identity(path, context),
            kind="kubernetes",
            name=context,
            url=server,
            type="platform",
            sub_type="orchestration",
            metadata={"kubeconfigPath": absolute(path), "context": context},
        )
        if created:
            await self.notices.log_connection(
                record, "discovery", f"discovered kubeconfig context {context!r} ({path.name})"
            )
            await self.notices.announce("CREATED", record)
        return record

    async def _record(self, source: ClusterSource) -> tuple[ConnectionRecord, str, str]:
        """The connection of a command-line source, with its context name and server."""
        identity, context, server = await self.identify(source)
        if source.kubeconfig is not None:
            return await self._discover_context(source.kubeconfig, context, server), context, server
        record, _ = await self.store.connections.discover(
            identity=identity,
            kind="kubernetes",
            name=source.name,
            url=server,
            metadata={"inCluster": True},
        )
        return record, context, server

    async def connected(self, source: ClusterSource, cluster_id: str) -> ConnectionRecord:
        """A command-line source started syncing: its connection becomes CONNECTED."""
        record, context, _ = await self._record(source)
        tested = attempt_summary(True, f"context {context!r} is syncing", {"context": context})
        updated, plan = await self.store.connections.transition(
            record.id,
            ConnectionStatus.CONNECTED,
            Changes(
                cluster_id=cluster_id,
                merge_metadata={"clusterId": cluster_id, "lastTest": tested},
            ),
        )
        if plan.changed:
            await self.notices.moved(plan.source, updated, "synced from the command line")
        return updated

    async def unreachable(self, source: ClusterSource, exc: BaseException, news: bool) -> None:
        """An attempt to connect a command-line source failed: keep it as the connection's
        last test; log it when ``news`` (the first failure, or a new kind of failure)."""
        record, context, server = await self._record(source)
        reason, message = failure_reason(exc), failure_message(exc)
        tested = attempt_summary(
            False, f"cannot connect context {context!r}: {message}", {"context": context,
            "reason": reason},
        )  # fmt: skip
        record = await self.store.connections.update(
            record.id, Changes(merge_metadata={"lastTest": tested})
        )
        await self.notices.announce("UPDATED", record)
        if news:
            await self.notices.log_connection(
                record,
                "sync_error",
                f"cannot connect {record.name!r} at {server or 'its server'} ({message}); "
                "retrying until it answers",
                severity="warning",
                details={"reason": reason},
            )


def attempt_summary(ok: bool, message: str, details: dict[str, Any]) -> dict[str, Any]:
    """An attempt to connect, in the shape of a connection's ``lastTest``."""
    return {
        "ok": ok,
        "status": (ConnectionStatus.CONNECTED if ok else ConnectionStatus.REGISTERED).value,
        "message": message,
        "latencyMs": None,
        "serverVersion": None,
        "details": details,
        "testedAt": datetime.now(UTC).isoformat(),
    }
