"""What the server tells others about connections: event log entries and connection
events. Shared by the API's mutations and the sync side, which both change
connections; messages name connections, clusters and services, never a credential
value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql_server.broker import Broker
from graphql_server.events import CONNECTIONS_TOPIC, LOG_TOPIC, ConnectionEvent, LogEntry
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.store import Store
from graphql_server.store.connections import ConnectionRecord


class ConnectionNotices:
    """Records event log entries (published on ``LOG_TOPIC``) and announces connection
    changes on ``CONNECTIONS_TOPIC``, on behalf of ``actor``."""

    def __init__(self, store: Store, broker: Broker, actor: str) -> None:
        self.store = store
        self.broker = broker
        self.actor = actor

    async def log(
        self,
        *,
        category: str,
        subject_type: str,
        subject_id: str,
        subject_name: str,
        message: str,
        severity: str = "info",
        details: Mapping[str, Any] | None = None,
        probable_cause: str = "",
        suggested_fix: str = "",
    ) -> LogEntry:
        entry = await self.store.events.add(
            severity=severity,
            actor=self.actor,
            category=category,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_name=subject_name,
            message=message,
            server_id=self.store.server_id,
            details=details,
            probable_cause=probable_cause,
            suggested_fix=suggested_fix,
        )
        await self.broker.publish(LOG_TOPIC, entry)
        return entry

    async def log_connection(
        self,
        record: ConnectionRecord,
        category: str,
        message: str,
        *,
        severity: str = "info",
        details: Mapping[str, Any] | None = None,
        probable_cause: str = "",
        suggested_fix: str = "",
    ) -> LogEntry:
        return await self.log(
            category=category,
            subject_type="connection",
            subject_id=record.id,
            subject_name=record.name,
            message=message,
            severity=severity,
            details={"kind": record.kind, **(details or {})},
            probable_cause=probable_cause,
            suggested_fix=suggested_fix,
        )

    async def announce(
        self, type: str, record: ConnectionRecord, previous: ConnectionStatus | None = None
    ) -> None:
        await self.broker.publish(
            CONNECTIONS_TOPIC,
            ConnectionEvent(
                type=type,
                connection_id=record.id,
                kind=record.kind,
                status=record.status.value,
                server_id=record.server_id,
                previous_status=None if previous is None else previous.value,
            ),
        )
