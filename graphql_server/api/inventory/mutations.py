"""Root mutations."""

from __future__ import annotations

import strawberry

from graphql_server.api.context import Info
from graphql_server.errors import NotFound
from graphql_server.events import COMMANDS_TOPIC, ClusterCommand


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Relist every resource type of a cluster and sweep what vanished, "
        "keeping rows that still exist. Returns true once the request is queued."
    )
    async def resync_cluster(self, info: Info, cluster_id: strawberry.ID) -> bool:
        if await info.context.store.clusters.get(str(cluster_id)) is None:
            raise NotFound(f"no cluster with id {cluster_id}")
        await info.context.broker.publish(
            COMMANDS_TOPIC, ClusterCommand(action="resync", cluster_id=str(cluster_id))
        )
        return True
