"""Read-only root fields: clusters, resources (pages, one by id), counts and facets.

Resolvers validate their arguments (``BadInput``), read the store and build the
types; every root field that returns resources gives them one ``Loaders`` so
that the links below it are batched.
"""

from __future__ import annotations

import strawberry

from graphql_server.api.context import Info
from graphql_server.api.inventory.filters import (
    OrderDirection,
    ResourceFilter,
    ResourceOrder,
    bounded_values,
    resolve_query,
)
from graphql_server.api.inventory.loaders import Loaders
from graphql_server.api.inventory.summaries import summarize
from graphql_server.api.inventory.types import (
    Cluster,
    LabelKey,
    LabelValue,
    Resource,
    ResourceConnection,
    ResourceEdge,
    ResourceSummary,
)
from graphql_server.api.pages import PageInfo
from graphql_server.errors import BadInput
from graphql_server.services.records import ResourceQuery, split_resource_id

MAX_PAGE = 1000


@strawberry.type
class Query:
    @strawberry.field(description="Clusters known to the inventory.")
    async def clusters(self, info: Info) -> list[Cluster]:
        records = await info.context.store.clusters.all()
        return [Cluster.from_record(r) for r in records]

    @strawberry.field(
        description="Resources matching the filter, one page at a time. Pages are keyset "
        "pages: rows added, changed or deleted between two requests never make a page "
        "repeat or skip a row that was there all along."
    )
    async def resources(
        self,
        info: Info,
        filter: ResourceFilter | None = None,
        first: int = 50,
        after: str | None = None,
        order_by: ResourceOrder | None = None,
    ) -> ResourceConnection:
        if not 0 <= first <= MAX_PAGE:
            raise BadInput(f"first must be between 0 and {MAX_PAGE}")
        order = order_by or ResourceOrder()
        query = await resolve_query(filter, info.context.services)
        page = await info.context.store.resources.page(
            query,
            first,
            after,
            order=order.field.value,
            descending=order.direction is OrderDirection.DESC,
        )
        loaders = Loaders(info.context.store, info.context.services.fingerprints)
        edges = [
            ResourceEdge(cursor=cursor, node=Resource.from_row(row, loaders))
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ]
        return ResourceConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None
            ),
            query=query,
        )

    @strawberry.field(description="One resource by id (`<cluster id>/<uid>`).")
    async def resource(self, info: Info, id: strawberry.ID) -> Resource | None:
        cluster_id, uid = split_resource_id(str(id))
        row = await info.context.store.resources.get(cluster_id, uid)
        return (
            None
            if row is None
            else Resource.from_row(
                row, Loaders(info.context.store, info.context.services.fingerprints)
            )
        )

    @strawberry.field(
        description="Counts of the resources matching the filter, by kind, namespace and cluster."
    )
    async def resource_summary(
        self, info: Info, filter: ResourceFilter | None = None
    ) -> ResourceSummary:
        return await summarize(
            info.context.store, await resolve_query(filter, info.context.services)
        )

    @strawberry.field(
        description="Namespaces that hold resources or are defined, in the given clusters "
        "(all when empty), sorted."
    )
    async def namespaces(
        self, info: Info, cluster_ids: list[strawberry.ID] | None = None
    ) -> list[str]:
        names: list[str] = await info.context.store.resources.namespaces(
            bounded_values("clusterIds", cluster_ids)
        )
        return names

    @strawberry.field(
        description="Label keys in use on the resources of the given clusters and kinds "
        "(all when empty), with their values and how many resources carry each, sorted."
    )
    async def labels(
        self,
        info: Info,
        cluster_ids: list[strawberry.ID] | None = None,
        kinds: list[str] | None = None,
    ) -> list[LabelKey]:
        query = ResourceQuery(
            cluster_ids=bounded_values("clusterIds", cluster_ids),
            kinds=bounded_values("kinds", kinds),
        )
        keys: list[LabelKey] = []
        for key, value, count in await info.context.store.resources.label_counts(query):
            if not keys or keys[-1].key != key:
                keys.append(LabelKey(key=key, count=0, values=[]))
            keys[-1].values.append(LabelValue(value=value, count=count))
            keys[-1].count += count
        return keys
