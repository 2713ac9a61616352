"""GraphQL object types of connections, credentials, environments and the event log.

Built from the store's records; nothing here writes. A :class:`Credential` shows its
name, type and which fields are set, with values only for fields its definition does
not mark secret: no secret value can be selected through any type of this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.connections.definitions import ConnectionComponent, component_of
from graphql_server.api.connections.event_log import LogEvent
from graphql_server.api.connections.health import ConnectionHealth, is_reader, shown_message
from graphql_server.api.context import Info
from graphql_server.api.enums import ConnectionStatus, Reach
from graphql_server.api.pages import PageInfo
from graphql_server.connectivity import ConnectivityResult, get_definition
from graphql_server.lifecycle import allowed_transitions
from graphql_server.services.health import HEALTH_KEY, MOVE_KEY, health_of, moved_by_server
from graphql_server.services.probing import reach_of
from graphql_server.services.records import (
    ConnectionQuery,
    ConnectionRecord,
    CredentialRecord,
    EnvironmentRecord,
    Store,
)


@strawberry.type(description="A credential field: whether it is set, and its value if not secret.")
class CredentialField:
    name: str
    set: bool
    secret: bool
    value: JSON | None = strawberry.field(description="Always null for secret fields.")


@strawberry.type(description="A named credential; secret values are never shown.")
class Credential:
    id: strawberry.ID
    name: str
    kind: str
    type: str
    fields: list[CredentialField]
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Connections of this server instance using it.")
    async def connections(self, info: Info) -> list[Connection]:
        records = await info.context.store.connections.select(
            ConnectionQuery(credential_ids=(str(self.id),))
        )
        return await connections_of(info.context.store, records)

    @classmethod
    def of(cls, record: CredentialRecord) -> Credential:
        definition = get_definition(record.kind).credential(record.type)
        secret = definition.secret_fields
        names = list(definition.schema.get("properties", {}))
        names += [n for n in record.fields_set if n not in names]
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            kind=record.kind,
            type=record.type,
            fields=[
                CredentialField(
                    name=name,
                    set=name in record.fields_set,
                    secret=name in secret,
                    value=None if name in secret else record.public.get(name),
                )
                for name in names
            ],
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


@strawberry.type(description="A named group of connections.")
class Environment:
    id: strawberry.ID
    name: str
    description: str
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Connections of this server instance in the environment.")
    async def connections(self, info: Info) -> list[Connection]:
        store: Store = info.context.store
        records = await store.connections.select(ConnectionQuery(environment_ids=(str(self.id),)))
        return await connections_of(store, records)

    @classmethod
    def of(cls, record: EnvironmentRecord) -> Environment:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            description=record.description,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


@strawberry.type(description="Outcome of a connectivity test.")
class ConnectivityTest:
    ok: bool
    status: ConnectionStatus = strawberry.field(
        description="The status the connection would reach: CONNECTED or REGISTERED."
    )
    message: str
    latency_ms: float | None
    server_version: str | None
    details: JSON
    tested_at: datetime | None

    @classmethod
    def of(cls, result: ConnectivityResult, at: datetime | None) -> ConnectivityTest:
        return cls(
            ok=result.ok,
            status=result.status,
            message=result.message,
            latency_ms=result.latency_ms,
            server_version=result.server_version,
            details=JSON(dict(result.details)),
            tested_at=at,
        )

    @classmethod
    def from_metadata(cls, stored: Mapping[str, Any] | None) -> ConnectivityTest | None:
        if not isinstance(stored, Mapping):
            return None
        tested_at = stored.get("testedAt")
        return cls(
            ok=bool(stored.get("ok")),
            status=ConnectionStatus(stored.get("status", "registered")),
            message=str(stored.get("message", "")),
            latency_ms=stored.get("latencyMs"),
            server_version=stored.get("serverVersion"),
            details=JSON(dict(stored.get("details") or {})),
            tested_at=datetime.fromisoformat(tested_at) if isinstance(tested_at, str) else None,
        )


@strawberry.type(description="A cluster, Prometheus or Grafana this server instance knows.")
class Connection:
    id: strawberry.ID
    name: str
    kind: str
    type: str
    sub_type: str
    url: str
    status: ConnectionStatus
    server_id: str = strawberry.field(description="The server instance owning the connection.")
    cluster_id: strawberry.ID | None = strawberry.field(
        description="The cluster a Kubernetes connection reaches (once connected), or "
        "the cluster a discovered service runs in."
    )
    metadata: JSON
    registration: JSON = strawberry.field(description="Kind-specific fields (Prometheus: metrics).")
    reach: Reach = strawberry.field(
        description="How it is reached: DIRECT (its URL) or CLUSTER_PROXY (its cluster's "
        "API server service proxy; the default for services discovered in a cluster)."
    )
    last_test_record: strawberry.Private[ConnectivityTest | None]
    health_record: strawberry.Private[ConnectionHealth]
    allowed_transitions: list[ConnectionStatus]
    created_at: datetime
    updated_at: datetime
    credential_record: strawberry.Private[CredentialRecord | None]
    environment_records: strawberry.Private[list[EnvironmentRecord]]

    @strawberry.field(
        description="The latest connectivity test. Read-only callers see whether it "
        "succeeded, not what it found (which would map the network behind the server)."
    )
    def last_test(self, info: Info) -> ConnectivityTest | None:
        test = self.last_test_record
        if test is None or not is_reader(info):
            return test
        return replace(
            test,
            message=shown_message(info, test.ok, test.message),
            server_version=None,
            details=JSON({}),
        )

    @strawberry.field(description="Its health: the outcome of its latest tests.")
    def health(self) -> ConnectionHealth:
        return self.health_record

    @strawberry.field(description="The credential assigned to the connection, if any.")
    def credential(self) -> Credential | None:
        return None if self.credential_record is None else Credential.of(self.credential_record)

    @strawberry.field(description="The environments the connection belongs to.")
    def environments(self) -> list[Environment]:
        return [Environment.of(r) for r in self.environment_records]

    @strawberry.field(description="What the connection is, for display.")
    def component(self, info: Info) -> ConnectionComponent:
        return component_of(self.kind, info)

    @strawberry.field(description="The latest event log entries about the connection.")
    async def events(self, info: Info, first: int = 20) -> list[LogEvent]:
        entries = await info.context.store.events.for_subject(str(self.id), max(0, min(first, 200)))
        return [LogEvent.of(e, is_reader(info)) for e in entries]


def connection_of(
    record: ConnectionRecord,
    credential: CredentialRecord | None,
    environments: list[EnvironmentRecord],
) -> Connection:
    metadata = dict(record.metadata)
    registration = metadata.pop("registration", {})
    last_test = metadata.pop("lastTest", None)
    # shown by the health field, where read-only callers see no probe message
    metadata.pop(HEALTH_KEY, None)
    metadata.pop(MOVE_KEY, None)
    if record.cluster_id:
        metadata.setdefault("clusterId", record.cluster_id)
    return Connection(
        id=strawberry.ID(record.id),
        name=record.name,
        kind=record.kind,
        type=record.type,
        sub_type=record.sub_type,
        url=record.url,
        status=record.status,
        server_id=record.server_id,
        cluster_id=strawberry.ID(record.cluster_id) if record.cluster_id else None,
        metadata=JSON(metadata),
        registration=JSON(registration if isinstance(registration, dict) else {}),
        reach=reach_of(record),
        last_test_record=ConnectivityTest.from_metadata(last_test),
        health_record=ConnectionHealth.of(
            health_of(record.metadata), moved_by_server(record.metadata)
        ),
        allowed_transitions=[
            s for s in ConnectionStatus if s in allowed_transitions(record.status)
        ],
        created_at=record.created_at,
        updated_at=record.updated_at,
        credential_record=credential,
        environment_records=environments,
    )


async def connections_of(store: Store, records: Iterable[ConnectionRecord]) -> list[Connection]:
    """GraphQL connections with their credentials and environments loaded in two queries."""
    chosen = list(records)
    credentials = await store.credentials.get_many(
        [r.credential_id for r in chosen if r.credential_id]
    )
    environments = await store.environments.of_connections([r.id for r in chosen])
    return [
        connection_of(
            r,
            credentials.get(r.credential_id) if r.credential_id else None,
            environments.get(r.id, []),
        )
        for r in chosen
    ]


@strawberry.type
class ConnectionEdge:
    cursor: str
    node: Connection


@strawberry.type(description="How many connections have a status.")
class StatusCount:
    status: ConnectionStatus
    count: int


@strawberry.type(description="A page of connections, ordered by name.")
class ConnectionPage:
    edges: list[ConnectionEdge]
    page_info: PageInfo
    total_count: int
    status_summary: list[StatusCount] = strawberry.field(
        description="Connections per status among those the filter selects, "
        "whatever its statuses (DELETED included)."
    )


@strawberry.enum
class ConnectionEventType(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    DELETED = "DELETED"


@strawberry.type(description="A connection was created, changed, moved or deleted.")
class ConnectionEvent:
    type: ConnectionEventType
    connection: Connection
    previous_status: ConnectionStatus | None
