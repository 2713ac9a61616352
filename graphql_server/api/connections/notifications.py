"""The notification centre's root fields: unread counts (query and live), marking event
log entries read or unread, and deleting them in bulk, by ids, by filter or both."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_server.api.connections.inputs import EventFilter, event_query
from graphql_server.api.context import Info
from graphql_server.events import LOG_TOPIC, LogChange, LogEntry, Missed
from graphql_server.services.notifications import EventLogService, unread_count
from graphql_server.services.records import EventQuery


def _ids(ids: list[strawberry.ID] | None) -> list[str] | None:
    return None if ids is None else [str(i) for i in ids]


def _query(filter: EventFilter | None) -> EventQuery | None:
    return None if filter is None else event_query(filter)


def _service(info: Info) -> EventLogService:
    return EventLogService(info.context.store, info.context.broker)


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="Unread entries of the event log the filter selects.")
    async def unread_event_count(self, info: Info, filter: EventFilter | None = None) -> int:
        return await unread_count(info.context.store, event_query(filter))


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Mark entries read: those with the ids, those the filter selects, or "
        "those of the ids the filter selects (at least one of the two; an empty filter "
        "selects every entry). Returns how many changed."
    )
    async def mark_events_read(
        self,
        info: Info,
        ids: list[strawberry.ID] | None = None,
        filter: EventFilter | None = None,
    ) -> int:
        return await _service(info).mark_read(_ids(ids), _query(filter))

    @strawberry.mutation(description="Mark entries unread again. Returns how many changed.")
    async def mark_events_unread(self, info: Info, ids: list[strawberry.ID]) -> int:
        return await _service(info).mark_unread([str(i) for i in ids])

    @strawberry.mutation(
        description="Delete entries: those with the ids, those the filter selects, or "
        "those of the ids the filter selects (at least one of the two). Returns how many "
        "were deleted."
    )
    async def delete_events(
        self,
        info: Info,
        ids: list[strawberry.ID] | None = None,
        filter: EventFilter | None = None,
    ) -> int:
        return await _service(info).delete(_ids(ids), _query(filter))


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description="The number of unread entries the filter selects: at once, then each "
        "time it changes."
    )
    async def unread_event_count(
        self, info: Info, filter: EventFilter | None = None
    ) -> AsyncGenerator[int, None]:
        query = event_query(filter)
        store = info.context.store
        async with info.context.broker.subscribe(LOG_TOPIC) as subscription:
            current = await unread_count(store, query)
            yield current
            async for message in subscription:
                if isinstance(message, LogEntry) and not query.matches(message):
                    continue
                if not isinstance(message, LogEntry | LogChange | Missed):
                    continue
                counted = await unread_count(store, query)  # a Missed one is recounted too
                if counted != current:
                    current = counted
                    yield current
