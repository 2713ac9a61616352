"""What the connection mutations do: test, move and update connections.

Owns the steps of each: running connectivity tests (``services.probing``) before any
write, applying transitions (a move into CONNECTED must pass a test first), recording
each step in the event log, announcing it on ``CONNECTIONS_TOPIC`` and, for Kubernetes
connections, asking the sync side to connect, disconnect or purge through a
``ClusterCommand`` on ``COMMANDS_TOPIC``. The writes of a step commit together and
their publications follow the commit (``Notices.atomic``). It never calls the sync side
directly, and never puts a secret into a message, an event or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql_server.connectivity import (
    ConnectivityResult,
    get_definition,
    validate_registration,
    validate_secret,
)
from graphql_server.connectivity.transport import normalize_url
from graphql_server.errors import BadInput, ConnectivityFailed
from graphql_server.events import COMMANDS_TOPIC, ClusterCommand
from graphql_server.lifecycle import ConnectionStatus, SideEffect, Transition, plan_transition
from graphql_server.services.health import connected_health, operator_move
from graphql_server.services.metadata import applied, user_metadata
from graphql_server.services.notices import Notices
from graphql_server.services.probing import (
    Secret,
    probe,
    probe_stored,
    test_log,
    test_summary,
)
from graphql_server.store.connections import Changes, ConnectionRecord


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """A test of a stored connection (``connection_id``) or of a kind, URL and secret.

    ``secret`` is an unsaved credential (type and fields, not yet validated);
    ``credential_id`` names a stored one instead.
    """

    connection_id: str | None = None
    kind: str | None = None
    url: str | None = None
    credential_id: str | None = None
    secret: Secret | None = None
    registration: dict[str, Any] | None = None


class ConnectionService(Notices):
    """The steps of the connection mutations, for one request's store and broker."""

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
        self,
        before: ConnectionStatus,
        record: ConnectionRecord,
        transition: Transition,
        *,
        why: str | None = None,
        severity: str = "info",
        probable_cause: str = "",
        suggested_fix: str = "",
    ) -> None:
        """Log (once, with ``why`` when given), announce and command what an applied
        transition means."""
        if not transition.changed:
            return
        if record.status is ConnectionStatus.DELETED:
            await self.store.environments.forget_connection(record.id)
        await self.log_connection(
            record,
            "status_change",
            f"{record.kind} connection {record.name!r} moved from {before.name} "
            f"to {record.status.name}" + (f": {why}" if why else ""),
            severity=severity,
            details={"from": before.value, "to": record.status.value},
            probable_cause=probable_cause,
            suggested_fix=suggested_fix,
        )
        kind = "DELETED" if record.status is ConnectionStatus.DELETED else "STATUS_CHANGED"
        await self.announce(kind, record, before)
        await self.command_sync(record, transition)

    async def log_test(self, record: ConnectionRecord, result: ConnectivityResult) -> None:
        await self.log_connection(
            record,
            "connectivity_test",
            f"connectivity test of {record.kind} connection {record.name!r}: {result.message}",
            details={"ok": result.ok, "latencyMs": result.latency_ms, **result.details},
            **test_log(result),
        )

    async def transition(self, connection_id: str, target: ConnectionStatus) -> ConnectionRecord:
        """Move a connection; entering CONNECTED needs a passing connectivity test."""
        record = await self.store.connections.require(connection_id)
        plan = plan_transition(record.status, target)  # refuse before any side effect
        if not plan.changed:
            return record
        # An operator's move is theirs: the health monitor no longer undoes it.
        changes = Changes(merge_metadata=operator_move(record.metadata))
        tested: ConnectivityResult | None = None
        if plan.needs_connectivity_test:
            tested = await probe_stored(self.store, record)
            summary = {"lastTest": test_summary(tested)}
            if not tested.ok:
                async with self.atomic():
                    await self.log_test(record, tested)
                    await self.store.connections.update(record.id, Changes(merge_metadata=summary))
                raise ConnectivityFailed(
                    f"cannot connect {record.name!r}: {tested.message}",
                    status=record.status.value,
                )
            changes.merge_metadata.update(summary)
            changes.merge_metadata.update(connected_health(record.metadata, tested))
        async with self.atomic():
            if tested is not None:
                await self.log_test(record, tested)
            updated, applied = await self.store.connections.transition(record.id, target, changes)
            await self.moved(applied.source, updated, applied)
        return updated

    async def test(self, request: ProbeRequest) -> ConnectivityResult:
        """Test a stored connection or an unsaved target; changes no status. A stored
        connection tested as stored keeps the outcome as its ``lastTest``."""
        if request.credential_id is not None and request.secret is not None:
            raise BadInput("give a credential id or a new credential, not both")
        record: ConnectionRecord | None = None
        if request.connection_id is not None:
            record = await self.store.connections.require(request.connection_id)
            kind = record.kind
        elif request.kind:
            kind = get_definition(request.kind).kind
        else:
            raise BadInput("give a connection id, or a kind and URL", field="kind")
        secret = request.secret
        if secret is not None:
            secret = (secret[0], validate_secret(kind, secret[0], secret[1]))
        if request.credential_id is not None:
            credential, data = await self.store.credentials.secret(request.credential_id)
            if credential.kind != kind:
                raise BadInput(f"credential {credential.name!r} is for {credential.kind}")
            secret = (credential.type, data)
        registration = request.registration
        if registration is not None:
            registration = validate_registration(kind, registration)
        if record is None:
            return await self._test_unsaved(kind, request.url, secret, registration)
        result = await probe_stored(
            self.store, record, url=request.url, secret=secret, registration=registration
        )
        async with self.atomic():
            if secret is None and registration is None and request.url is None:
                record = await self.store.connections.update(
                    record.id, Changes(merge_metadata={"lastTest": test_summary(result)})
                )
            await self.log_test(record, result)
        return result

    async def _test_unsaved(
        self,
        kind: str,
        url: str | None,
        secret: Secret | None,
        registration: dict[str, Any] | None,
    ) -> ConnectivityResult:
        result = await probe(kind, url=url, secret=secret, registration=registration)
        where = normalize_url(url, default_protocol="https") if url else kind
        await self.log(
            category="connectivity_test",
            subject_type="endpoint",
            subject_id="",
            subject_name=where[:253],
            message=f"connectivity test of {kind} at {where}: {result.message}",
            details={"ok": result.ok, "kind": kind, "latencyMs": result.latency_ms},
            **test_log(result),
        )
        return result

    async def update(
        self,
        connection_id: str,
        *,
        name: str | None = None,
        url: str | None = None,
        registration: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ConnectionRecord:
        """Rename a connection, move its URL, change its registration fields or set (null:
        remove) user metadata keys."""
        record = await self.store.connections.require(connection_id)
        if record.status is ConnectionStatus.DELETED:
            raise BadInput("a deleted connection cannot change", field="id")
        merge: dict[str, Any] = {}
        if registration is not None:
            merge["registration"] = validate_registration(record.kind, registration)
        replaced = None
        if metadata is not None:
            replaced = applied(record.metadata, user_metadata(metadata, removals=True))
        name = name.strip() if name is not None else None
        if name is not None and not 0 < len(name) <= 253:
            raise BadInput("a connection name must be 1 to 253 characters", field="name")
        if url is not None:
            url = normalize_url(url, default_protocol=get_definition(record.kind).default_protocol)
        async with self.atomic():
            updated = await self.store.connections.update(
                record.id, Changes(name=name, url=url, metadata=replaced, merge_metadata=merge)
            )
            if updated != record:
                await self.log_connection(
                    updated, "connection", f"updated {updated.kind} connection {updated.name!r}"
                )
                await self.announce("UPDATED", updated)
        return updated
