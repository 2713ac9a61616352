"""What the connection mutations do: test, register and move connections.

Owns the steps shared by the mutations: running connectivity tests with a stored or
unsaved secret, applying transitions (a move into CONNECTED must pass a test first),
recording each step in the event log, announcing it on ``CONNECTIONS_TOPIC`` and, for
Kubernetes connections, asking the sync side to connect, disconnect or purge through a
``ClusterCommand`` on ``COMMANDS_TOPIC``. It never calls the sync side directly, and
never puts a secret into a message, an event or a log line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphql_server.broker import Broker
from graphql_server.connectivity import (
    DEFAULT_TIMEOUT,
    ConnectivityResult,
    check_connectivity,
    get_definition,
)
from graphql_server.errors import BadInput, ConfigurationError, ConnectivityFailed, KubernetesError
from graphql_server.events import (
    COMMANDS_TOPIC,
    ClusterCommand,
)
from graphql_server.kube.config import client_from_kubeconfig
from graphql_server.lifecycle import (
    ConnectionStatus,
    SideEffect,
    Transition,
    plan_transition,
)
from graphql_server.store import Store
from graphql_server.store.connections import Changes, ConnectionRecord
from graphql_server.store.notices import ConnectionNotices

ACTOR = "user"
Secret = tuple[str, dict[str, Any]]


def test_summary(result: ConnectivityResult) -> dict[str, Any]:
    """A connectivity result as kept in a connection's metadata (``lastTest``)."""
    return {
        "ok": result.ok,
        "status": result.status.value,
        "message": result.message,
        "latencyMs": result.latency_ms,
        "serverVersion": result.server_version,
        "details": dict(result.details),
        "testedAt": datetime.now(UTC).isoformat(),
    }


async def probe_kubeconfig_file(path: str, context: str | None) -> ConnectivityResult:
    """Test a context of a kubeconfig file the operator gave this server (``--kubeconfig``).

    Uses the full kubeconfig loader (exec plugins and file references included), as the
    sync itself will, unlike the probes for pasted kubeconfigs.
    """
    where = f"context {context or '(current)'} of {Path(path).name}"
    details: dict[str, Any] = {"context": context} if context else {}
    try:
        async with asyncio.timeout(DEFAULT_TIMEOUT):
            client = await client_from_kubeconfig(Path(path), context)
            try:
                started = time.perf_counter()
                version = await client.get("/version")
                latency = round((time.perf_counter() - started) * 1000, 3)
                listed = await client.get("/api/v1/namespaces", [("limit", "1")])
            finally:
                await client.close()
    except (ConfigurationError, KubernetesError) as exc:
        details["reason"] = "unreachable" if isinstance(exc, KubernetesError) else "configuration"
        message = f"{where} is not usable: {exc.message}"
        return ConnectivityResult("kubernetes", False, ConnectionStatus.REGISTERED, message)
    except TimeoutError:
        details["reason"] = "timeout"
        message = f"no answer from {where} within {DEFAULT_TIMEOUT:g} s"
        return ConnectivityResult("kubernetes", False, ConnectionStatus.REGISTERED, message)
    server_version = str(version.get("gitVersion", "")) if isinstance(version, dict) else ""
    if not isinstance(listed, dict) or listed.get("kind") != "NamespaceList":
        return ConnectivityResult(
            "kubernetes", False, ConnectionStatus.REGISTERED, f"{where} cannot list namespaces"
        )
    return ConnectivityResult(
        "kubernetes",
        True,
        ConnectionStatus.CONNECTED,
        f"Kubernetes {server_version} at {where} accepts the credential",
        latency_ms=latency,
        server_version=server_version or None,
        details=details,
    )


class ConnectionActions(ConnectionNotices):
    """The steps of the connection mutations, for one request's store and broker."""

    def __init__(self, store: Store, broker: Broker, actor: str = ACTOR) -> None:
        super().__init__(store, broker, actor)

    async def command_sync(self, record: ConnectionRecord, transition: Transition) -> None:
        """Ask the sync side to act on a Kubernetes connection's move."""
        if record.kind != "kubernetes" or not transition.side_effects:
            return
        effects = transition.side_effects
        if SideEffect.PURGE_INVENTORY in effects:
            action = "purge"
        elif SideEffect.START_SYNC in effects:
            action = "connect"
        else:
            action = "disconnect"
        await self.broker.publish(
            COMMANDS_TOPIC,
            ClusterCommand(
                action=action, cluster_id=record.cluster_id or "", args={"connection_id": record.id}
            ),
        )

    async def moved(
        self, before: ConnectionStatus, record: ConnectionRecord, transition: Transition
    ) -> None:
        """Log, announce and command what an applied transition means."""
        if not transition.changed:
            return
        if record.status is ConnectionStatus.DELETED:
            await self.store.environments.forget_connection(record.id)
        await self.log_connection(
            record,
            "status_change",
            f"{record.kind} connection {record.name!r} moved from {before.name} "
            f"to {record.status.name}",
            details={"from": before.value, "to": record.status.value},
        )
        kind = "DELETED" if record.status is ConnectionStatus.DELETED else "STATUS_CHANGED"
        await self.announce(kind, record, before)
        await self.command_sync(record, transition)

    # -- testing -------------------------------------------------------------------

    async def stored_secret(self, record: ConnectionRecord) -> Secret | None:
        """The credential a stored connection uses (opened), with its context applied."""
        context = record.metadata.get("context")
        if record.credential_id:
            credential, data = await self.store.credentials.secret(record.credential_id)
            if credential.type == "kubeconfig" and context and not data.get("context"):
                data["context"] = context
            return credential.type, data
        return None

    async def test(
        self,
        kind: str,
        *,
        url: str | None,
        secret: Secret | None,
        registration: Mapping[str, Any] | None,
        kubeconfig_path: str | None = None,
        context: str | None = None,
    ) -> ConnectivityResult:
        definition = get_definition(kind)
        if secret is None and kubeconfig_path and definition.kind == "kubernetes":
            return await probe_kubeconfig_file(kubeconfig_path, context)
        if secret is None:
            if "none" not in definition.credentials:
                raise BadInput(
                    f"a {definition.kind} connection needs a credential "
                    f"({', '.join(definition.credentials)})",
                    field="credential",
                )
            secret = ("none", {})
        credential_type, data = secret
        if definition.kind == "kubernetes" and credential_type == "kubeconfig":
            url = None  # the kubeconfig's context names the server
        return await check_connectivity(
            definition.kind,
            url=url or None,
            credential_type=credential_type,
            credential=data,
            registration=registration,
        )

    async def test_stored(
        self,
        record: ConnectionRecord,
        *,
        url: str | None = None,
        secret: Secret | None = None,
        registration: Mapping[str, Any] | None = None,
    ) -> ConnectivityResult:
        if secret is None:
            secret = await self.stored_secret(record)
        if registration is None:
            registration = record.metadata.get("registration") or {}
        return await self.test(
            record.kind,
            url=url or record.url,
            secret=secret,
            registration=registration,
            kubeconfig_path=record.metadata.get("kubeconfigPath"),
            context=record.metadata.get("context"),
        )

    async def log_test(self, record: ConnectionRecord, result: ConnectivityResult) -> None:
        await self.log_connection(
            record,
            "connectivity_test",
            f"connectivity test of {record.kind} connection {record.name!r}: {result.message}",
            severity="info" if result.ok else "warning",
            details={"ok": result.ok, "latencyMs": result.latency_ms, **result.details},
        )

    # -- moving --------------------------------------------------------------------

    async def transition(self, connection_id: str, target: ConnectionStatus) -> ConnectionRecord:
        """Move a connection; entering CONNECTED needs a passing connectivity test."""
        record = await self.store.connections.require(connection_id)
        plan = plan_transition(record.status, target)  # refuse before any side effect
        if not plan.changed:
            return record
        changes = Changes()
        if plan.needs_connectivity_test:
            result = await self.test_stored(record)
            await self.log_test(record, result)
            changes = Changes(merge_metadata={"lastTest": test_summary(result)})
            if not result.ok:
                await self.store.connections.update(record.id, changes)
                raise ConnectivityFailed(
                    f"cannot connect {record.name!r}: {result.message}",
                    status=record.status.value,
                )
        updated, applied = await self.store.connections.transition(record.id, target, changes)
        before = applied.source
        await self.moved(before, updated, applied)
        return updated
