"""Live subscriptions to connection changes and to the event log.

Each subscriber reads its own bounded mailbox on the broker (these topics carry few
messages). A subscriber that falls behind gets an error with ``extensions.code``
``MISSED_EVENTS`` and must refetch, as with ``resourceEvents``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_server.api.connections.event_log import LogEvent
from graphql_server.api.connections.health import is_reader
from graphql_server.api.connections.inputs import (
    ConnectionFilter,
    EventFilter,
    connection_matches,
    connection_query,
    event_query,
)
from graphql_server.api.connections.types import (
    ConnectionEvent,
    ConnectionEventType,
    connections_of,
)
from graphql_server.api.context import Info
from graphql_server.api.enums import ConnectionStatus
from graphql_server.api.errors import MissedEvents
from graphql_server.events import CONNECTIONS_TOPIC, LOG_TOPIC, LogEntry, Missed
from graphql_server.events import ConnectionEvent as StoredEvent
from graphql_server.services.records import Store


def _missed(message: Missed) -> MissedEvents:
    return MissedEvents(f"{message.dropped} events were dropped; refetch and resubscribe")


@strawberry.type
class ConnectionSubscription:
    @strawberry.subscription(
        description="Connections of this server instance being created, changed, moved "
        "or deleted, among those the filter selects (DELETED included)."
    )
    async def connection_events(
        self, info: Info, filter: ConnectionFilter | None = None
    ) -> AsyncGenerator[ConnectionEvent, None]:
        query = connection_query(filter)
        store: Store = info.context.store
        async with info.context.broker.subscribe(CONNECTIONS_TOPIC) as subscription:
            async for message in subscription:
                if isinstance(message, Missed):
                    raise _missed(message)
                if not isinstance(message, StoredEvent) or message.server_id != store.server_id:
                    continue
                record = await store.connections.get(message.connection_id)
                if record is None:
                    continue
                environments: set[str] = set()
                if query.environment_ids:
                    found = await store.environments.of_connections([record.id])
                    environments = {e.id for e in found.get(record.id, [])}
                if not connection_matches(query, record, environments):
                    continue
                (node,) = await connections_of(store, [record])
                yield ConnectionEvent(
                    type=ConnectionEventType(message.type),
                    connection=node,
                    previous_status=None
                    if message.previous_status is None
                    else ConnectionStatus(message.previous_status),
                )

    @strawberry.subscription(description="New entries of the event log matching the filter.")
    async def events(
        self, info: Info, filter: EventFilter | None = None
    ) -> AsyncGenerator[LogEvent, None]:
        query = event_query(filter)
        async with info.context.broker.subscribe(LOG_TOPIC) as subscription:
            async for message in subscription:
                if isinstance(message, Missed):
                    raise _missed(message)
                if isinstance(message, LogEntry) and query.matches(message):
                    yield LogEvent.of(message, is_reader(info))
