"""Environments: create, rename, delete them and change their members.

Every change is recorded in the event log, and a connection joining or leaving an
environment is announced as UPDATED. Membership never moves a connection's status.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql_server.errors import BadInput
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.notices import Notices
from graphql_server.store.environments import EnvironmentRecord


class EnvironmentService(Notices):
    """The environment mutations, for one request's store and broker."""

    async def _logged(
        self, record: EnvironmentRecord, message: str, changed: int | None = None
    ) -> None:
        await self.log(
            category="environment",
            subject_type="environment",
            subject_id=record.id,
            subject_name=record.name,
            message=message,
            details={} if changed is None else {"changed": changed},
        )

    async def create(self, name: str | None, description: str | None) -> EnvironmentRecord:
        if name is None:
            raise BadInput("an environment needs a name", field="name")
        async with self.atomic():
            record = await self.store.environments.create(name, description or "")
            await self._logged(record, f"created environment {record.name!r}")
        return record

    async def update(
        self, environment_id: str, *, name: str | None, description: str | None
    ) -> EnvironmentRecord:
        async with self.atomic():
            before = await self.store.environments.require(environment_id)
            record = await self.store.environments.update(
                before.id, name=name, description=description
            )
            message = f"updated environment {record.name!r}"
            if record.name != before.name:
                message = f"renamed environment {before.name!r} to {record.name!r}"
            await self._logged(record, message)
        return record

    async def delete(self, environment_id: str) -> EnvironmentRecord:
        async with self.atomic():
            record = await self.store.environments.delete(environment_id)
            await self._logged(record, f"deleted environment {record.name!r}")
        return record

    async def assign(self, environment_id: str, connection_ids: Sequence[str]) -> EnvironmentRecord:
        """Add connections (none deleted) to an environment."""
        return await self._members(environment_id, connection_ids, add=True)

    async def unassign(
        self, environment_id: str, connection_ids: Sequence[str]
    ) -> EnvironmentRecord:
        """Remove connections from an environment."""
        return await self._members(environment_id, connection_ids, add=False)

    async def _members(
        self, environment_id: str, connection_ids: Sequence[str], *, add: bool
    ) -> EnvironmentRecord:
        record = await self.store.environments.require(environment_id)
        if not connection_ids:
            raise BadInput("name at least one connection", field="connectionIds")
        targets = await self.store.connections.require_many(list(connection_ids))
        if add and any(t.status is ConnectionStatus.DELETED for t in targets):
            raise BadInput("a deleted connection cannot join an environment")
        ids = [t.id for t in targets]
        names = ", ".join(repr(t.name) for t in targets)
        async with self.atomic():
            if add:
                changed = await self.store.environments.assign(record.id, ids)
                message = f"added {names} to {record.name!r}"
            else:
                changed = await self.store.environments.unassign(record.id, ids)
                message = f"removed {names} from {record.name!r}"
            await self._logged(record, message, changed)
            for target in targets:
                await self.announce("UPDATED", target)
        return record
