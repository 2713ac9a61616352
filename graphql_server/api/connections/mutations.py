"""Root mutations of connections: register, test, move, update and delete.

Each resolver translates its GraphQL input into a call of ``graphql_server.services``
(``ConnectionService``, ``register``) and the records it returns into types.
:data:`ConnectionMutation` also carries the credential and environment mutations
(``credential_mutations``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.tools import merge_types

from graphql_server.api.connections.credential_mutations import (
    CredentialMutation,
    EnvironmentMutation,
)
from graphql_server.api.connections.inputs import (
    RegisterConnectionInput,
    SecretInput,
    TestConnectionInput,
    UpdateConnectionInput,
    json_object,
)
from graphql_server.api.connections.notifications import NotificationMutations
from graphql_server.api.connections.types import Connection, ConnectivityTest, connections_of
from graphql_server.api.context import Info
from graphql_server.api.enums import ConnectionStatus
from graphql_server.services.connections import ConnectionService, ProbeRequest
from graphql_server.services.records import ConnectionRecord
from graphql_server.services.registration import NewCredential, Registration, register


def service(info: Info) -> ConnectionService:
    return ConnectionService(info.context.store, info.context.broker)


async def one(info: Info, record: ConnectionRecord) -> Connection:
    (node,) = await connections_of(info.context.store, [record])
    return node


def _optional_object(value: object | None, field: str) -> dict[str, object] | None:
    return None if value is None else json_object(value, field)


def _secret(given: SecretInput | None) -> tuple[str, dict[str, object]] | None:
    if given is None:
        return None
    return given.type, json_object(given.data, "credential.data")


def _registration(form: RegisterConnectionInput) -> Registration:
    credential = None
    if form.credential is not None:
        data = json_object(form.credential.data, "credential.data")
        credential = NewCredential(form.credential.type, data, form.credential.name)
    return Registration(
        connection_id=None if form.connection_id is None else str(form.connection_id),
        kind=form.kind,
        url=form.url,
        name=form.name,
        credential_id=None if form.credential_id is None else str(form.credential_id),
        credential=credential,
        environment_ids=tuple(str(i) for i in form.environment_ids or ()),
        registration=_optional_object(form.registration, "registration"),
        require_connectivity=form.require_connectivity,
        metadata=_optional_object(form.metadata, "metadata"),
        reach=form.reach,
    )


@strawberry.type(description="The connections a registration stored.")
class RegistrationResult:
    connection: Connection = strawberry.field(description="The first (usually only) one.")
    connections: list[Connection] = strawberry.field(
        description="All of them: a kubeconfig without a chosen context gives one per context."
    )


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(
        description="Register a discovered connection, or a kind plus URL, with a credential "
        "and environments. It lands in CONNECTED when its connectivity test passes, "
        "else in REGISTERED with the test's outcome."
    )
    async def register_connection(
        self, info: Info, input: RegisterConnectionInput
    ) -> RegistrationResult:
        records = await register(service(info), _registration(input))
        nodes = await connections_of(info.context.store, records)
        return RegistrationResult(connection=nodes[0], connections=nodes)

    @strawberry.mutation(
        description="Test a stored connection (optionally with another URL or secret), or "
        "a kind, URL and secret that are not stored. Changes no status."
    )
    async def test_connection(self, info: Info, input: TestConnectionInput) -> ConnectivityTest:
        request = ProbeRequest(
            connection_id=None if input.connection_id is None else str(input.connection_id),
            kind=input.kind,
            url=input.url,
            credential_id=None if input.credential_id is None else str(input.credential_id),
            secret=_secret(input.credential),
            registration=_optional_object(input.registration, "registration"),
        )
        result = await service(info).test(request)
        return ConnectivityTest.of(result, datetime.now(UTC))

    @strawberry.mutation(
        description="Move a connection to another status. A move the lifecycle does not "
        "allow fails with INVALID_TRANSITION and changes nothing; asking for the current "
        "status is a no-op; entering CONNECTED needs a passing connectivity test "
        "(else CONNECTIVITY_FAILED)."
    )
    async def transition_connection(
        self, info: Info, id: strawberry.ID, status: ConnectionStatus
    ) -> Connection:
        record = await service(info).transition(str(id), status)
        return await one(info, record)

    @strawberry.mutation(
        description="Rename a connection, move its URL, change its fields or its user metadata."
    )
    async def update_connection(
        self, info: Info, id: strawberry.ID, input: UpdateConnectionInput
    ) -> Connection:
        updated = await service(info).update(
            str(id),
            name=input.name,
            url=input.url,
            registration=_optional_object(input.registration, "registration"),
            metadata=_optional_object(input.metadata, "metadata"),
        )
        return await one(info, updated)

    @strawberry.mutation(
        description="Delete a connection (status DELETED, final). A Kubernetes cluster's "
        "inventory is removed unless another connection still reaches that cluster."
    )
    async def delete_connection(self, info: Info, id: strawberry.ID) -> Connection:
        record = await service(info).transition(str(id), ConnectionStatus.DELETED)
        return await one(info, record)


ConnectionMutation = merge_types(
    "ConnectionMutation",
    (LifecycleMutation, CredentialMutation, EnvironmentMutation, NotificationMutations),
)
