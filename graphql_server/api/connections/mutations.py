"""Root mutations of connections: register, test, move, update and delete.

The steps live in ``graphql_server.services``; this module
maps GraphQL inputs onto them. :data:`ConnectionMutation` also carries the credential
and environment mutations (``credential_mutations``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
from graphql_server.api.connections.types import (
    Connection,
    ConnectivityTest,
    connections_of,
)
from graphql_server.api.context import Info
from graphql_server.api.enums import ConnectionStatus
from graphql_server.connectivity import get_definition, validate_registration, validate_secret
from graphql_server.connectivity.transport import normalize_url
from graphql_server.errors import BadInput
from graphql_server.lifecycle import ConnectionStatus as Status
from graphql_server.services.connections import ConnectionActions, Secret, test_summary
from graphql_server.services.registration import register
from graphql_server.store.connections import Changes


def actions(info: Info) -> ConnectionActions:
    return ConnectionActions(info.context.store, info.context.broker)


async def one(info: Info, record: Any) -> Connection:
    (node,) = await connections_of(info.context.store, [record])
    return node


def _secret(kind: str, given: SecretInput | None) -> Secret | None:
    if given is None:
        return None
    data = json_object(given.data, "credential.data")
    return given.type, validate_secret(kind, given.type, data)


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
        records = await register(actions(info), input)
        nodes = await connections_of(info.context.store, records)
        return RegistrationResult(connection=nodes[0], connections=nodes)

    @strawberry.mutation(
        description="Test a stored connection (optionally with another URL or secret), or "
        "a kind, URL and secret that are not stored. Changes no status."
    )
    async def test_connection(self, info: Info, input: TestConnectionInput) -> ConnectivityTest:
        act = actions(info)
        if input.credential_id is not None and input.credential is not None:
            raise BadInput("give a credential id or a new credential, not both")
        if input.connection_id is not None:
            record = await act.store.connections.require(str(input.connection_id))
            kind = record.kind
        elif input.kind:
            record, kind = None, get_definition(input.kind).kind
        else:
            raise BadInput("give a connection id, or a kind and URL", field="kind")
        secret = _secret(kind, input.credential)
        if input.credential_id is not None:
            credential, data = await act.store.credentials.secret(str(input.credential_id))
            if credential.kind != kind:
                raise BadInput(f"credential {credential.name!r} is for {credential.kind}")
            secret = (credential.type, data)
        registration = (
            None
            if input.registration is None
            else validate_registration(kind, json_object(input.registration, "registration"))
        )
        if record is not None:
            result = await act.test_stored(
                record, url=input.url, secret=secret, registration=registration
            )
            if secret is None and registration is None and input.url is None:
                record = await act.store.connections.update(
                    record.id, Changes(merge_metadata={"lastTest": test_summary(result)})
                )
            await act.log_test(record, result)
        else:
            result = await act.test(kind, url=input.url, secret=secret, registration=registration)
            where = normalize_url(input.url, default_protocol="https") if input.url else kind
            await act.log(
                category="connectivity_test",
                subject_type="endpoint",
                subject_id="",
                subject_name=where[:253],
                message=f"connectivity test of {kind} at {where}: {result.message}",
                severity="info" if result.ok else "warning",
                details={"ok": result.ok, "kind": kind, "latencyMs": result.latency_ms},
            )
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
        record = await actions(info).transition(str(id), status)
        return await one(info, record)

    @strawberry.mutation(description="Rename a connection, move its URL or change its fields.")
    async def update_connection(
        self, info: Info, id: strawberry.ID, input: UpdateConnectionInput
    ) -> Connection:
        act = actions(info)
        record = await act.store.connections.require(str(id))
        if record.status is Status.DELETED:
            raise BadInput("a deleted connection cannot change", field="id")
        merge: dict[str, Any] = {}
        if input.registration is not None:
            merge["registration"] = validate_registration(
                record.kind, json_object(input.registration, "registration")
            )
        name = input.name.strip() if input.name is not None else None
        if name is not None and not 0 < len(name) <= 253:
            raise BadInput("a connection name must be 1 to 253 characters", field="name")
        url = None
        if input.url is not None:
            url = normalize_url(
                input.url, default_protocol=get_definition(record.kind).default_protocol
            )
        updated = await act.store.connections.update(
            record.id, Changes(name=name, url=url, merge_metadata=merge)
        )
        if updated != record:
            await act.log_connection(
                updated, "connection", f"updated {updated.kind} connection {updated.name!r}"
            )
            await act.announce("UPDATED", updated)
        return await one(info, updated)

    @strawberry.mutation(
        description="Delete a connection (status DELETED, final). A Kubernetes cluster's "
        "inventory is removed unless another connection still reaches that cluster."
    )
    async def delete_connection(self, info: Info, id: strawberry.ID) -> Connection:
        record = await actions(info).transition(str(id), Status.DELETED)
        return await one(info, record)


ConnectionMutation = merge_types(
    "ConnectionMutation", (LifecycleMutation, CredentialMutation, EnvironmentMutation)
)
