"""Clusters and their per-resource-type sync state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql_server.store.database import Database
from graphql_server.store.dialect import Params, placeholders, time_param
from graphql_server.store.models import Cluster, SyncState


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    id: str
    name: str
    server: str
    version: str
    phase: str
    last_error: str | None


@dataclass(frozen=True, slots=True)
class KindSyncRecord:
    cluster_id: str
    resource_type: str
    api_version: str
    kind: str
    resource_version: str
    phase: str
    resource_count: int
    last_event_at: datetime | None
    last_error: str | None


# The columns of a type's sync state a status save may give, and what a new row has
# where it does not give them.
KIND_DEFAULTS: dict[str, Any] = {
    "api_version": None,
    "kind": None,
    "resource_version": "",
    "phase": "PENDING",
    "resource_count": 0,
    "last_event_at": None,
    "last_error": None,
}


def _cluster(row: Cluster) -> ClusterRecord:
    return ClusterRecord(row.id, row.name, row.server, row.version, row.phase, row.last_error)


def _kind(row: SyncState) -> KindSyncRecord:
    return KindSyncRecord(
        row.cluster_id,
        row.resource_type,
        row.api_version,
        row.kind,
        row.resource_version,
        row.phase,
        row.resource_count,
        row.last_event_at,
        row.last_error,
    )


class ClusterStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def upsert(self, cluster_id: str, name: str, server: str, version: str) -> ClusterRecord:
        row, created = await Cluster.get_or_create(
            id=cluster_id, defaults={"name": name, "server": server, "version": version}
        )
        if not created and (row.name, row.server, row.version) != (name, server, version):
            row.name, row.server, row.version = name, server, version
            await row.save(update_fields=["name", "server", "version", "updated_at"])
        return _cluster(row)

    async def all(self, ids: tuple[str, ...] = ()) -> list[ClusterRecord]:
        query = Cluster.all(using_db=self.database.reader()).order_by("name", "id")
        if ids:
            query = query.filter(id__in=ids)
        return [_cluster(row) for row in await query]

    async def get(self, cluster_id: str) -> ClusterRecord | None:
        row = await Cluster.get_or_none(id=cluster_id, using_db=self.database.reader())
        return None if row is None else _cluster(row)

    async def set_phase(self, cluster_id: str, phase: str, last_error: str | None = None) -> None:
        await Cluster.filter(id=cluster_id).update(phase=phase, last_error=last_error)

    async def delete(self, cluster_id: str) -> None:
        await SyncState.filter(cluster_id=cluster_id).delete()
        await Cluster.filter(id=cluster_id).delete()

    # -- per resource type -------------------------------------------------------

    async def kinds(self, cluster_id: str) -> list[KindSyncRecord]:
        rows = (
            await SyncState.filter(cluster_id=cluster_id)
            .using_db(self.database.reader())
            .order_by("resource_type")
        )
        return [_kind(row) for row in rows]

    async def resume_versions(self, cluster_id: str) -> dict[str, str]:
        rows = await SyncState.filter(cluster_id=cluster_id).values(
            "resource_type", "resource_version"
        )
        return {r["resource_type"]: r["resource_version"] for r in rows if r["resource_version"]}

    async def save_kinds(self, records: list[dict[str, Any]]) -> None:
        """Upsert per-type status (without touching resume versions unless given), all
        in one transaction: a status flush costs the writer's connection one statement
        per set of columns, not a transaction per type."""
        if not records:
            return
        dialect = self.database.dialect
        now = time_param(dialect, datetime.now(UTC))
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for record in records:
            given = tuple(c for c in KIND_DEFAULTS if c in record)
            unknown = set(record) - {"cluster_id", "resource_type", *KIND_DEFAULTS}
            if unknown:
                raise ValueError(f"not a sync state column: {', '.join(sorted(unknown))}")
            values = [
                time_param(dialect, record.get(c))
                if c == "last_event_at"
                else record.get(c, default)
                for c, default in KIND_DEFAULTS.items()
            ]
            groups.setdefault(given, []).append(
                [record["cluster_id"], record["resource_type"], *values, now]
            )
        columns = ("cluster_id", "resource_type", *KIND_DEFAULTS, "updated_at")
        marks = ", ".join(placeholders(dialect, len(columns)))
        async with self.database.transaction() as conn:
            for given, rows in groups.items():
                updates = ", ".join(f"{c} = excluded.{c}" for c in (*given, "updated_at"))
                await conn.execute_many(
                    f"INSERT INTO sync_states ({', '.join(columns)}) VALUES ({marks}) "
                    f"ON CONFLICT (cluster_id, resource_type) DO UPDATE SET {updates}",
                    rows,
                )

    async def forget_kind(self, cluster_id: str, resource_type: str) -> None:
        await SyncState.filter(cluster_id=cluster_id, resource_type=resource_type).delete()


async def save_resume_versions(
    connection: Any, dialect: str, versions: dict[tuple[str, str], tuple[str, str, str]]
) -> None:
    """Within the writer's transaction: (cluster, type) -> (apiVersion, kind, resourceVersion)."""
    if not versions:
        return
    marks = placeholders(dialect, 6)
    sql = (
        "INSERT INTO sync_states (cluster_id, resource_type, api_version, kind, "
        "resource_version, updated_at, phase, resource_count) "
        f"VALUES ({', '.join(marks)}, 'PENDING', 0) "
        "ON CONFLICT (cluster_id, resource_type) DO UPDATE SET "
        "resource_version = excluded.resource_version, updated_at = excluded.updated_at"
    )
    now = time_param(dialect, datetime.now(UTC))
    await connection.execute_many(
        sql,
        [
            [cluster_id, resource_type, api_version, kind, version, now]
            for (cluster_id, resource_type), (api_version, kind, version) in versions.items()
        ],
    )


async def forget_resume_versions(connection: Any, dialect: str, cluster_id: str) -> None:
    """Within the writer's transaction: the cluster's types resume from nothing (a list)."""
    params = Params(dialect)
    sql = f"UPDATE sync_states SET resource_version = '' WHERE cluster_id = {params(cluster_id)}"
    await connection.execute_query(sql, params.values)
