"""Root mutations of credentials and environments.

Every change is recorded in the event log; credential messages name the credential and
its type, never a value. Assigning a credential or an environment does not move any
connection's status.
"""

from __future__ import annotations

import strawberry

from graphql_server.api.connections.inputs import (
    CreateCredentialInput,
    EnvironmentInput,
    UpdateCredentialInput,
    json_object,
)
from graphql_server.api.connections.types import (
    Connection,
    Credential,
    Environment,
    connections_of,
)
from graphql_server.api.context import Info
from graphql_server.errors import BadInput, Conflict
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.connections import ConnectionActions


def _actions(info: Info) -> ConnectionActions:
    return ConnectionActions(info.context.store, info.context.broker)


def _ids(values: list[strawberry.ID]) -> list[str]:
    if not values:
        raise BadInput("name at least one connection", field="connectionIds")
    return [str(v) for v in values]


async def _log_environment(
    act: ConnectionActions, env_id: str, name: str, message: str, changed: int | None = None
) -> None:
    await act.log(
        category="environment",
        subject_type="environment",
        subject_id=env_id,
        subject_name=name,
        message=message,
        details={} if changed is None else {"changed": changed},
    )


@strawberry.type
class CredentialMutation:
    @strawberry.mutation(description="Store a credential; its secret fields are sealed at rest.")
    async def create_credential(self, info: Info, input: CreateCredentialInput) -> Credential:
        data = json_object(input.data, "data")
        act = _actions(info)
        record = await act.store.credentials.create(
            name=input.name, kind=input.kind, type=input.type, data=data
        )
        await act.log(
            category="credential",
            subject_type="credential",
            subject_id=record.id,
            subject_name=record.name,
            message=f"created {record.kind} {record.type} credential {record.name!r}",
        )
        return Credential.of(record)

    @strawberry.mutation(
        description="Rename a credential and/or change fields (a null value removes one)."
    )
    async def update_credential(
        self, info: Info, id: strawberry.ID, input: UpdateCredentialInput
    ) -> Credential:
        data = None if input.data is None else json_object(input.data, "data")
        act = _actions(info)
        record = await act.store.credentials.update(str(id), name=input.name, data=data)
        changed = sorted(data or {})
        await act.log(
            category="credential",
            subject_type="credential",
            subject_id=record.id,
            subject_name=record.name,
            message=f"updated {record.kind} {record.type} credential {record.name!r}"
            + (f" (fields {', '.join(changed)})" if changed else ""),
        )
        return Credential.of(record)

    @strawberry.mutation(
        description="Delete a credential. One still assigned to connections is refused "
        "(CONFLICT) unless force is true, which unassigns it first."
    )
    async def delete_credential(
        self, info: Info, id: strawberry.ID, force: bool = False
    ) -> Credential:
        act = _actions(info)
        record = await act.store.credentials.require(str(id))
        users = await act.store.connections.credential_users(record.id)
        if users and not force:
            raise Conflict(
                f"credential {record.name!r} is used by {users} connection(s); "
                "assign them another or delete with force",
                connections=users,
            )
        await act.store.connections.detach_credential(record.id)
        await act.store.credentials.delete(record.id)
        await act.log(
            category="credential",
            subject_type="credential",
            subject_id=record.id,
            subject_name=record.name,
            message=f"deleted {record.kind} {record.type} credential {record.name!r}",
            severity="warning" if users else "info",
            details={"unassignedFrom": users},
        )
        return Credential.of(record)

    @strawberry.mutation(description="Use one credential for one or more connections at once.")
    async def assign_credential(
        self,
        info: Info,
        credential_id: strawberry.ID,
        connection_ids: list[strawberry.ID],
    ) -> list[Connection]:
        act = _actions(info)
        credential = await act.store.credentials.require(str(credential_id))
        targets = await act.store.connections.require_many(_ids(connection_ids))
        for target in targets:
            if target.kind != credential.kind:
                raise BadInput(
                    f"credential {credential.name!r} is for {credential.kind}; "
                    f"connection {target.name!r} is a {target.kind} connection",
                    field="connectionIds",
                )
            if target.status is ConnectionStatus.DELETED:
                raise BadInput(f"connection {target.name!r} is deleted", field="connectionIds")
        records = await act.store.connections.assign_credential(
            credential.id, [t.id for t in targets]
        )
        for record in records:
            await act.log_connection(
                record,
                "credential",
                f"credential {credential.name!r} assigned to {record.kind} connection "
                f"{record.name!r}",
                details={"credentialId": credential.id},
            )
            await act.announce("UPDATED", record)
        return await connections_of(act.store, records)


@strawberry.type
class EnvironmentMutation:
    @strawberry.mutation(description="Create an environment (names are unique).")
    async def create_environment(self, info: Info, input: EnvironmentInput) -> Environment:
        if input.name is None:
            raise BadInput("an environment needs a name", field="name")
        act = _actions(info)
        record = await act.store.environments.create(input.name, input.description or "")
        await _log_environment(act, record.id, record.name, f"created environment {record.name!r}")
        return Environment.of(record)

    @strawberry.mutation(description="Rename an environment or change its description.")
    async def update_environment(
        self, info: Info, id: strawberry.ID, input: EnvironmentInput
    ) -> Environment:
        act = _actions(info)
        before = await act.store.environments.require(str(id))
        record = await act.store.environments.update(
            before.id, name=input.name, description=input.description
        )
        message = f"updated environment {record.name!r}"
        if record.name != before.name:
            message = f"renamed environment {before.name!r} to {record.name!r}"
        await _log_environment(act, record.id, record.name, message)
        return Environment.of(record)

    @strawberry.mutation(description="Delete an environment; its connections stay.")
    async def delete_environment(self, info: Info, id: strawberry.ID) -> Environment:
        act = _actions(info)
        record = await act.store.environments.delete(str(id))
        await _log_environment(act, record.id, record.name, f"deleted environment {record.name!r}")
        return Environment.of(record)

    @strawberry.mutation(description="Add connections to an environment.")
    async def assign_connections_to_environment(
        self,
        info: Info,
        environment_id: strawberry.ID,
        connection_ids: list[strawberry.ID],
    ) -> Environment:
        act = _actions(info)
        record = await act.store.environments.require(str(environment_id))
        targets = await act.store.connections.require_many(_ids(connection_ids))
        if any(t.status is ConnectionStatus.DELETED for t in targets):
            raise BadInput("a deleted connection cannot join an environment")
        added = await act.store.environments.assign(record.id, [t.id for t in targets])
        names = ", ".join(repr(t.name) for t in targets)
        await _log_environment(
            act, record.id, record.name, f"added {names} to {record.name!r}", added
        )
        for target in targets:
            await act.announce("UPDATED", target)
        return Environment.of(record)

    @strawberry.mutation(description="Remove connections from an environment.")
    async def unassign_connections_from_environment(
        self,
        info: Info,
        environment_id: strawberry.ID,
        connection_ids: list[strawberry.ID],
    ) -> Environment:
        act = _actions(info)
        record = await act.store.environments.require(str(environment_id))
        targets = await act.store.connections.require_many(_ids(connection_ids))
        removed = await act.store.environments.unassign(record.id, [t.id for t in targets])
        names = ", ".join(repr(t.name) for t in targets)
        await _log_environment(
            act, record.id, record.name, f"removed {names} from {record.name!r}", removed
        )
        for target in targets:
            await act.announce("UPDATED", target)
        return Environment.of(record)
