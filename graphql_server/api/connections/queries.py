"""Read-only root fields of connections, credentials, environments and the event log."""

from __future__ import annotations

import strawberry

from graphql_server.api.connections.definitions import ConnectionDefinition
from graphql_server.api.connections.event_log import LogEvent, LogEventEdge, LogEventPage
from graphql_server.api.connections.health import is_reader
from graphql_server.api.connections.inputs import (
    ConnectionFilter,
    EventFilter,
    connection_query,
    event_query,
)
from graphql_server.api.connections.types import (
    Connection,
    ConnectionEdge,
    ConnectionPage,
    Credential,
    Environment,
    StatusCount,
    connections_of,
)
from graphql_server.api.context import Info
from graphql_server.api.pages import PageInfo
from graphql_server.connectivity import DEFINITIONS, get_definition
from graphql_server.services.records import Store


@strawberry.type
class ConnectionQueries:
    @strawberry.field(description="What each kind of connection is and which credentials it takes.")
    def connection_definitions(self, info: Info) -> list[ConnectionDefinition]:
        return [ConnectionDefinition.of(d, info) for d in DEFINITIONS.values()]

    @strawberry.field(description="Connections of this server instance, one page at a time.")
    async def connections(
        self,
        info: Info,
        filter: ConnectionFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> ConnectionPage:
        store: Store = info.context.store
        query = connection_query(filter)
        page = await store.connections.page(query, first, after)
        nodes = await connections_of(store, page.records)
        counts = await store.connections.status_counts(query)
        return ConnectionPage(
            edges=[
                ConnectionEdge(cursor=cursor, node=node)
                for cursor, node in zip(page.cursors, nodes, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
            total_count=await store.connections.count(query),
            status_summary=[
                StatusCount(status=status, count=count) for status, count in counts.items()
            ],
        )

    @strawberry.field(description="One connection of this server instance by id.")
    async def connection(self, info: Info, id: strawberry.ID) -> Connection | None:
        store: Store = info.context.store
        record = await store.connections.get(str(id))
        if record is None:
            return None
        (node,) = await connections_of(store, [record])
        return node

    @strawberry.field(description="Credentials (secret values are never shown).")
    async def credentials(self, info: Info, kinds: list[str] | None = None) -> list[Credential]:
        wanted = [get_definition(k).kind for k in kinds or ()]
        records = await info.context.store.credentials.all(wanted)
        return [Credential.of(r) for r in records]

    @strawberry.field(description="One credential by id.")
    async def credential(self, info: Info, id: strawberry.ID) -> Credential | None:
        record = await info.context.store.credentials.get(str(id))
        return None if record is None else Credential.of(record)

    @strawberry.field(description="Environments, by name.")
    async def environments(self, info: Info) -> list[Environment]:
        return [Environment.of(r) for r in await info.context.store.environments.all()]

    @strawberry.field(description="One environment by id.")
    async def environment(self, info: Info, id: strawberry.ID) -> Environment | None:
        record = await info.context.store.environments.get(str(id))
        return None if record is None else Environment.of(record)

    @strawberry.field(description="The event log (notification centre), newest first.")
    async def events(
        self,
        info: Info,
        filter: EventFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> LogEventPage:
        store: Store = info.context.store
        query = event_query(filter)
        entries, cursors, has_next = await store.events.page(query, first, after)
        return LogEventPage(
            edges=[
                LogEventEdge(cursor=cursor, node=LogEvent.of(entry, is_reader(info)))
                for entry, cursor in zip(entries, cursors, strict=True)
            ],
            page_info=PageInfo(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None),
            total_count=await store.events.count(query),
        )
