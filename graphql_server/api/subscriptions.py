"""Live subscriptions over websockets."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_server.api.filters import ResourceFilter, matches, to_query
from graphql_server.api.types import Resource, ResourceEvent, ResourceEventType
from graphql_server.errors import GraphQLServerError
from graphql_server.events import RESOURCES_TOPIC, Missed
from graphql_server.events import ResourceEvent as StoredEvent
from graphql_server.events import ResourceEventType as StoredEventType


class MissedEvents(GraphQLServerError):
    """The subscriber fell behind; events were dropped and it must refetch."""

    code = "MISSED_EVENTS"


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes of resources matching the filter. An object that stops "
        "matching (a label changed) is sent once as DELETED, one that starts matching "
        "as ADDED."
    )
    async def resource_events(
        self, info: strawberry.Info, filter: ResourceFilter | None = None
    ) -> AsyncGenerator[ResourceEvent, None]:
        query = to_query(filter)
        async with info.context.broker.subscribe(RESOURCES_TOPIC) as subscription:
            async for message in subscription:
                if isinstance(message, Missed):
                    raise MissedEvents(
                        f"{message.dropped} events were dropped; refetch and resubscribe"
                    )
                if not isinstance(message, StoredEvent):
                    continue
                row = message.resource
                now = matches(query, row)
                before = message.previous_labels is not None and matches(
                    query, row, message.previous_labels
                )
                if now and message.previous_labels is not None and not before:
                    event_type = ResourceEventType.ADDED
                elif now:
                    event_type = ResourceEventType(message.type.value)
                elif before and message.type is StoredEventType.MODIFIED:
                    event_type = ResourceEventType.DELETED
                else:
                    continue
                yield ResourceEvent(type=event_type, resource=Resource.from_row(row))
