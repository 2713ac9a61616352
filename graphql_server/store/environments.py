"""Environments: named groups of connections, and which connections belong to which.

Names are unique (a duplicate is a :class:`Conflict`). Deleting an environment removes
its memberships, never its connections. Must not check connection statuses; callers
decide which connections may be assigned.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from graphql_server.errors import BadInput, Conflict, NotFound
from graphql_server.store.connection_models import ConnectionEnvironment, Environment
from graphql_server.store.database import Database
from graphql_server.store.values import text, usable, usable_all


@dataclass(frozen=True, slots=True)
class EnvironmentRecord:
    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


def _record(row: Environment) -> EnvironmentRecord:
    return EnvironmentRecord(row.id, row.name, row.description, row.created_at, row.updated_at)


def _name(name: str) -> str:
    cleaned = text(name, "name").strip()
    if not cleaned or len(cleaned) > 253:
        raise BadInput("an environment name must be 1 to 253 characters", field="name")
    return cleaned


class EnvironmentStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(self, name: str, description: str = "") -> EnvironmentRecord:
        try:
            row = await Environment.create(
                id=str(uuid.uuid4()), name=_name(name), description=text(description, "description")
            )
        except IntegrityError:
            raise Conflict(f"an environment named {name.strip()!r} exists", field="name") from None
        return _record(row)

    async def update(
        self, environment_id: str, *, name: str | None = None, description: str | None = None
    ) -> EnvironmentRecord:
        await self.require(environment_id)
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = _name(name)
        if description is not None:
            values["description"] = text(description, "description")
        if values:
            values["updated_at"] = datetime.now(UTC)
            try:
                await Environment.filter(id=environment_id).update(**values)
            except IntegrityError:
                raise Conflict(f"an environment named {name!r} exists", field="name") from None
        return await self.require(environment_id)

    async def delete(self, environment_id: str) -> EnvironmentRecord:
        record = await self.require(environment_id)
        async with self.database.transaction() as conn:
            await (
                ConnectionEnvironment.filter(environment_id=environment_id).using_db(conn).delete()
            )
            await Environment.filter(id=environment_id).using_db(conn).delete()
        return record

    async def get(self, environment_id: str) -> EnvironmentRecord | None:
        if not usable(environment_id, 36):
            return None
        row = await Environment.get_or_none(id=environment_id)
        return None if row is None else _record(row)

    async def require(self, environment_id: str) -> EnvironmentRecord:
        record = await self.get(environment_id)
        if record is None:
            raise NotFound(f"no environment with id {environment_id}", id=environment_id)
        return record

    async def require_many(self, environment_ids: Sequence[str]) -> list[EnvironmentRecord]:
        wanted = list(dict.fromkeys(environment_ids))
        rows = {row.id: row for row in await Environment.filter(id__in=usable_all(wanted, 36))}
        missing = [i for i in wanted if i not in rows]
        if missing:
            raise NotFound(f"no environment with id {', '.join(missing)}", ids=missing)
        return [_record(rows[i]) for i in wanted]

    async def all(self) -> list[EnvironmentRecord]:
        return [_record(row) for row in await Environment.all().order_by("name")]

    async def assign(self, environment_id: str, connection_ids: Sequence[str]) -> int:
        """Add connections to an environment; returns how many were not members yet."""
        existing = {
            str(member)
            for member in await ConnectionEnvironment.filter(
                environment_id=environment_id, connection_id__in=list(connection_ids)
            ).values_list("connection_id", flat=True)
        }
        added = 0
        for connection_id in dict.fromkeys(connection_ids):
            if connection_id in existing:
                continue
            try:
                await ConnectionEnvironment.create(
                    connection_id=connection_id, environment_id=environment_id
                )
                added += 1
            except IntegrityError:
                pass  # assigned at the same moment by another request
        return added

    async def unassign(self, environment_id: str, connection_ids: Sequence[str]) -> int:
        return int(
            await ConnectionEnvironment.filter(
                environment_id=environment_id, connection_id__in=list(connection_ids)
            ).delete()
        )

    async def of_connections(
        self, connection_ids: Sequence[str]
    ) -> dict[str, list[EnvironmentRecord]]:
        """Each connection's environments, by name."""
        links = await ConnectionEnvironment.filter(connection_id__in=list(connection_ids)).values(
            "connection_id", "environment_id"
        )
        environments = {
            row.id: _record(row)
            for row in await Environment.filter(
                id__in=list({link["environment_id"] for link in links})
            )
        }
        result: dict[str, list[EnvironmentRecord]] = {i: [] for i in connection_ids}
        for link in links:
            found = environments.get(link["environment_id"])
            if found is not None:
                result.setdefault(link["connection_id"], []).append(found)
        for records in result.values():
            records.sort(key=lambda r: r.name)
        return result

    async def connection_ids(self, environment_id: str) -> list[str]:
        rows = await ConnectionEnvironment.filter(environment_id=environment_id).values_list(
            "connection_id", flat=True
        )
        return [str(r) for r in rows]

    async def member_counts(self) -> dict[str, int]:
        rows = (
            await ConnectionEnvironment.all()
            .annotate(n=Count("id"))
            .group_by("environment_id")
            .values("environment_id", "n")
        )
        return {row["environment_id"]: int(row["n"]) for row in rows}

    async def forget_connection(self, connection_id: str) -> int:
        """Remove a (deleted) connection from every environment."""
        return int(await ConnectionEnvironment.filter(connection_id=connection_id).delete())
