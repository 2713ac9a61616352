"""Object types of the inventory: clusters, sync status, resources, pages, facets.

Types are built from store records and rows; the only resolvers that reach the
store are those that follow links (``owners``, ``children``, ``totalCount``,
``Cluster.sync``), and the resource links go through the operation's batched
``Loaders``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.context import Info
from graphql_server.api.enums import ResourceEventType, SyncPhase
from graphql_server.api.inventory.loaders import Loaders
from graphql_server.api.pages import PageInfo
from graphql_server.api.registry.types import Component
from graphql_server.services.records import (
    ClusterRecord,
    KindSyncRecord,
    ResourceQuery,
    StoredResource,
)


@strawberry.type(description="Sync status of one resource type of a cluster.")
class KindSync:
    resource_type: str
    kind: str
    api_version: str
    phase: SyncPhase
    resource_count: int
    last_event_at: datetime | None
    last_error: str | None

    @classmethod
    def from_record(cls, record: KindSyncRecord) -> KindSync:
        return cls(
            resource_type=record.resource_type,
            kind=record.kind,
            api_version=record.api_version,
            phase=SyncPhase(record.phase),
            resource_count=record.resource_count,
            last_event_at=record.last_event_at,
            last_error=record.last_error,
        )


@strawberry.type(description="Sync status of a cluster, with one entry per resource type.")
class SyncStatus:
    cluster_id: strawberry.ID
    phase: SyncPhase
    resource_count: int
    last_event_at: datetime | None
    last_error: str | None
    kinds: list[KindSync]

    @classmethod
    def build(cls, cluster: ClusterRecord, kinds: list[KindSyncRecord]) -> SyncStatus:
        times = [k.last_event_at for k in kinds if k.last_event_at is not None]
        errors = [f"{k.resource_type}: {k.last_error}" for k in kinds if k.last_error]
        return cls(
            cluster_id=strawberry.ID(cluster.id),
            phase=SyncPhase(cluster.phase),
            resource_count=sum(k.resource_count for k in kinds),
            last_event_at=max(times) if times else None,
            last_error=cluster.last_error or ("; ".join(errors[:5]) if errors else None),
            kinds=[KindSync.from_record(k) for k in kinds],
        )


@strawberry.type(description="A Kubernetes cluster, identified by its kube-system namespace uid.")
class Cluster:
    id: strawberry.ID
    name: str
    server: str
    version: str

    @strawberry.field(description="How the sync of this cluster fares.")
    async def sync(self, info: Info) -> SyncStatus:
        store = info.context.store
        record = await store.clusters.get(str(self.id))
        kinds = await store.clusters.kinds(str(self.id))
        if record is None:
            record = ClusterRecord(
                str(self.id), self.name, self.server, self.version, "STOPPED", None
            )
        return SyncStatus.build(record, kinds)

    @classmethod
    def from_record(cls, record: ClusterRecord) -> Cluster:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            server=record.server,
            version=record.version,
        )


@strawberry.type(description="One Kubernetes object as stored in the inventory.")
class Resource:
    id: strawberry.ID
    cluster_id: strawberry.ID
    uid: str
    api_version: str
    kind: str
    name: str
    namespace: str | None
    resource_version: str
    labels: JSON
    annotations: JSON
    owner_references: JSON
    spec: JSON | None
    status: JSON | None
    created_at: datetime | None
    updated_at: datetime
    component: Component = strawberry.field(
        description="The component this resource is: model, display name, icon and colours. "
        "Resolved from the registry when the resource is read, never copied into the "
        "stored row, so registry changes show at once."
    )
    loaders: strawberry.Private[Loaders | None] = None

    @strawberry.field(
        description="The resources named in ownerReferences that the inventory holds "
        "(a Pod's ReplicaSet, a ReplicaSet's Deployment)."
    )
    async def owners(self, info: Info) -> list[Resource]:
        loaders = self._loaders(info)
        references: list[Any] = list(cast(list[Any], self.owner_references) or ())
        uids = [str(r["uid"]) for r in references if isinstance(r, dict) and r.get("uid")]
        rows = await loaders.resources.load_many([(str(self.cluster_id), uid) for uid in uids])
        return [Resource.from_row(row, loaders) for row in rows if row is not None]

    @strawberry.field(
        description="The resources whose ownerReferences name this one (a Deployment's "
        "ReplicaSets, a ReplicaSet's Pods), ordered by kind and name."
    )
    async def children(self, info: Info, kinds: list[str] | None = None) -> list[Resource]:
        loaders = self._loaders(info)
        rows = await loaders.children.load((str(self.cluster_id), self.namespace or "", self.uid))
        wanted = set(kinds or ())
        return [Resource.from_row(r, loaders) for r in rows if not wanted or r["kind"] in wanted]

    def _loaders(self, info: Info) -> Loaders:
        if self.loaders is None:
            self.loaders = Loaders(info.context.store, info.context.services.fingerprints)
        return self.loaders

    @classmethod
    def from_row(cls, row: StoredResource, loaders: Loaders) -> Resource:
        namespace = row["namespace"] or None
        component = loaders.fingerprints.component(
            row["api_version"], row["kind"], namespace is not None
        )
        return cls(
            id=strawberry.ID(row["id"]),
            cluster_id=strawberry.ID(row["cluster_id"]),
            uid=row["uid"],
            api_version=row["api_version"],
            kind=row["kind"],
            name=row["name"],
            namespace=namespace,
            resource_version=row["resource_version"],
            labels=JSON(row["labels"] or {}),
            annotations=JSON(row["annotations"] or {}),
            owner_references=JSON(row["owner_references"] or []),
            spec=row["spec"],
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            component=component,
            loaders=loaders,
        )


@strawberry.type
class ResourceEdge:
    cursor: str
    node: Resource


@strawberry.type(description="A page of resources in a stable order.")
class ResourceConnection:
    edges: list[ResourceEdge]
    page_info: PageInfo
    query: strawberry.Private[ResourceQuery]

    @strawberry.field(description="Resources matching the filter, on all pages.")
    async def total_count(self, info: Info) -> int:
        count: int = await info.context.store.resources.count(self.query)
        return count


@strawberry.type(description="A committed change of a resource matching the subscription.")
class ResourceEvent:
    type: ResourceEventType
    resource: Resource


@strawberry.type(description="How many resources share one value (a kind, a namespace, a cluster).")
class SummaryCount:
    key: str = strawberry.field(
        description="The value counted; the empty string stands for cluster-scoped resources "
        "when counting by namespace."
    )
    count: int


Group = tuple[str, str, str, str, int]  # cluster id, namespace, apiVersion, kind, count


@strawberry.type(
    description="Counts of the resources matching a filter, by kind, namespace and cluster."
)
class ResourceSummary:
    total: int
    by_kind: list[SummaryCount]
    by_namespace: list[SummaryCount]
    by_cluster: list[SummaryCount]
    # Counts per (cluster, namespace, apiVersion, kind), from which every dimension is
    # folded (``api.summaries.DIMENSIONS``). A dimension that needs more than these
    # columns, such as counts by component model, is a resolver on this type that maps
    # each group's (apiVersion, kind) through the registry and folds the counts.
    groups: strawberry.Private[tuple[Group, ...]] = ()


@strawberry.type(description="One value of a label key and how many resources carry it.")
class LabelValue:
    value: str
    count: int


@strawberry.type(description="A label key in use, with its values.")
class LabelKey:
    key: str
    count: int = strawberry.field(description="Resources carrying the key, whatever its value.")
    values: list[LabelValue]
