"""Read-only root fields."""

from __future__ import annotations

import strawberry

from graphql_server.api.filters import ResourceFilter, to_query
from graphql_server.api.types import (
    Cluster,
    PageInfo,
    Resource,
    ResourceConnection,
    ResourceEdge,
)
from graphql_server.errors import BadInput
from graphql_server.store.resources import split_resource_id

MAX_PAGE = 1000


@strawberry.type
class Query:
    @strawberry.field(description="Clusters known to the inventory.")
    async def clusters(self, info: strawberry.Info) -> list[Cluster]:
        records = await info.context.store.clusters.all()
        return [Cluster.from_record(r) for r in records]

    @strawberry.field(description="Resources matching the filter, one page at a time.")
    async def resources(
        self,
        info: strawberry.Info,
        filter: ResourceFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> ResourceConnection:
        if not 0 <= first <= MAX_PAGE:
            raise BadInput(f"first must be between 0 and {MAX_PAGE}")
        query = to_query(filter)
        store = info.context.store.resources
        page = await store.page(query, first, after)
        total = await store.count(query)
        edges = [
            ResourceEdge(cursor=cursor, node=Resource.from_row(row))
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ]
        return ResourceConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
            total_count=total,
        )

    @strawberry.field(description="One resource by id (`<cluster id>/<uid>`).")
    async def resource(self, info: strawberry.Info, id: strawberry.ID) -> Resource | None:
        cluster_id, uid = split_resource_id(str(id))
        row = await info.context.store.resources.get(cluster_id, uid)
        return None if row is None else Resource.from_row(row)
