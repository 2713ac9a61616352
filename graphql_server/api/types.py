"""Object types of the inventory: clusters, sync status, resources, pages."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graphql_server.store.clusters import ClusterRecord, KindSyncRecord


@strawberry.enum(description="Where the sync of a cluster or resource type stands.")
class SyncPhase(Enum):
    PENDING = "PENDING"
    SYNCING = "SYNCING"
    SYNCED = "SYNCED"
    DEGRADED = "DEGRADED"
    STOPPED = "STOPPED"


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
    async def sync(self, info: strawberry.Info) -> SyncStatus:
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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Resource:
        return cls(
            id=strawberry.ID(row["id"]),
            cluster_id=strawberry.ID(row["cluster_id"]),
            uid=row["uid"],
            api_version=row["api_version"],
            kind=row["kind"],
            name=row["name"],
            namespace=row["namespace"] or None,
            resource_version=row["resource_version"],
            labels=JSON(row["labels"] or {}),
            annotations=JSON(row["annotations"] or {}),
            owner_references=JSON(row["owner_references"] or []),
            spec=row["spec"],
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ResourceEdge:
    cursor: str
    node: Resource


@strawberry.type(description="A page of resources in a stable order.")
class ResourceConnection:
    edges: list[ResourceEdge]
    page_info: PageInfo
    total_count: int


@strawberry.enum
class ResourceEventType(Enum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@strawberry.type(description="A committed change of a resource matching the subscription.")
class ResourceEvent:
    type: ResourceEventType
    resource: Resource
