"""Root mutations of credentials and environments.

Each resolver translates its input into a call of ``services.credentials`` or
``services.environments`` (which log every change, never a credential value) and the
record it returns into a type.
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
from graphql_server.services.credentials import CredentialService
from graphql_server.services.environments import EnvironmentService


def _credentials(info: Info) -> CredentialService:
    return CredentialService(info.context.store, info.context.broker)


def _environments(info: Info) -> EnvironmentService:
    return EnvironmentService(info.context.store, info.context.broker)


def _ids(values: list[strawberry.ID]) -> list[str]:
    return [str(v) for v in values]


@strawberry.type
class CredentialMutation:
    @strawberry.mutation(description="Store a credential; its secret fields are sealed at rest.")
    async def create_credential(self, info: Info, input: CreateCredentialInput) -> Credential:
        record = await _credentials(info).create(
            name=input.name, kind=input.kind, type=input.type, data=json_object(input.data, "data")
        )
        return Credential.of(record)

    @strawberry.mutation(
        description="Rename a credential and/or change fields (a null value removes one)."
    )
    async def update_credential(
        self, info: Info, id: strawberry.ID, input: UpdateCredentialInput
    ) -> Credential:
        data = None if input.data is None else json_object(input.data, "data")
        record = await _credentials(info).update(str(id), name=input.name, data=data)
        return Credential.of(record)

    @strawberry.mutation(
        description="Delete a credential. One still assigned to connections is refused "
        "(CONFLICT) unless force is true, which unassigns it first."
    )
    async def delete_credential(
        self, info: Info, id: strawberry.ID, force: bool = False
    ) -> Credential:
        return Credential.of(await _credentials(info).delete(str(id), force=force))

    @strawberry.mutation(description="Use one credential for one or more connections at once.")
    async def assign_credential(
        self,
        info: Info,
        credential_id: strawberry.ID,
        connection_ids: list[strawberry.ID],
    ) -> list[Connection]:
        records = await _credentials(info).assign(str(credential_id), _ids(connection_ids))
        return await connections_of(info.context.store, records)


@strawberry.type
class EnvironmentMutation:
    @strawberry.mutation(description="Create an environment (names are unique).")
    async def create_environment(self, info: Info, input: EnvironmentInput) -> Environment:
        record = await _environments(info).create(input.name, input.description)
        return Environment.of(record)

    @strawberry.mutation(description="Rename an environment or change its description.")
    async def update_environment(
        self, info: Info, id: strawberry.ID, input: EnvironmentInput
    ) -> Environment:
        record = await _environments(info).update(
            str(id), name=input.name, description=input.description
        )
        return Environment.of(record)

    @strawberry.mutation(description="Delete an environment; its connections stay.")
    async def delete_environment(self, info: Info, id: strawberry.ID) -> Environment:
        return Environment.of(await _environments(info).delete(str(id)))

    @strawberry.mutation(description="Add connections to an environment.")
    async def assign_connections_to_environment(
        self,
        info: Info,
        environment_id: strawberry.ID,
        connection_ids: list[strawberry.ID],
    ) -> Environment:
        record = await _environments(info).assign(str(environment_id), _ids(connection_ids))
        return Environment.of(record)

    @strawberry.mutation(description="Remove connections from an environment.")
    async def unassign_connections_from_environment(
        self,
        info: Info,
        environment_id: strawberry.ID,
        connection_ids: list[strawberry.ID],
    ) -> Environment:
        record = await _environments(info).unassign(str(environment_id), _ids(connection_ids))
        return Environment.of(record)
