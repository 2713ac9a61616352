"""GraphQL inputs of connections, credentials, environments and the event log, and
their translation into store queries (``BadInput`` when they make no sense)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.enums import ConnectionStatus, Reach, Severity
from graphql_server.connectivity import get_definition
from graphql_server.errors import BadInput
from graphql_server.events import LOG_CATEGORIES, LOG_SUBJECT_TYPES
from graphql_server.services.metadata import matches, user_metadata
from graphql_server.services.records import ConnectionQuery, ConnectionRecord, EventQuery

MAX_VALUES = 500
MAX_SEARCH = 253


@strawberry.input(description="Every field narrows; without statuses, DELETED ones are left out.")
class ConnectionFilter:
    kinds: list[str] | None = None
    statuses: list[ConnectionStatus] | None = None
    environment_ids: list[strawberry.ID] | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name or URL."
    )
    metadata: JSON | None = strawberry.field(
        default=None,
        description="Key-value pairs the connection's metadata must all hold "
        '(e.g. {team: "infra"}).',
    )


@strawberry.input(description="Every field narrows; empty fields select everything.")
class EventFilter:
    severities: list[Severity] | None = None
    categories: list[str] | None = strawberry.field(
        default=None,
        description=", ".join(LOG_CATEGORIES) + " (others are refused with BAD_INPUT)",
    )
    subject_types: list[str] | None = strawberry.field(
        default=None, description=", ".join(LOG_SUBJECT_TYPES)
    )
    subject_ids: list[strawberry.ID] | None = None
    actors: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the message."
    )
    read: bool | None = strawberry.field(
        default=None, description="Only read (true) or only unread (false) entries."
    )


@strawberry.input(description="A secret not stored yet: its credential type and fields.")
class SecretInput:
    type: str = strawberry.field(description="A credential type of the connection's kind.")
    data: JSON = strawberry.field(description="The fields, as the credential definition says.")
    name: str | None = strawberry.field(
        default=None, description="Name of the credential it is stored as."
    )


@strawberry.input(description="Register a discovered connection, or a kind plus URL.")
class RegisterConnectionInput:
    connection_id: strawberry.ID | None = strawberry.field(
        default=None, description="A discovered (or earlier registered) connection."
    )
    kind: str | None = None
    url: str | None = strawberry.field(
        default=None, description="Where to reach it (overrides a discovered URL)."
    )
    name: str | None = None
    credential_id: strawberry.ID | None = None
    credential: SecretInput | None = strawberry.field(
        default=None, description="A new secret, stored as a credential."
    )
    environment_ids: list[strawberry.ID] | None = None
    registration: JSON | None = strawberry.field(
        default=None, description="Kind-specific fields (Prometheus: {metrics: [...]})."
    )
    require_connectivity: bool = strawberry.field(
        default=False,
        description="Fail with CONNECTIVITY_FAILED, storing nothing, when the test fails "
        "(by default the connection is stored as REGISTERED).",
    )
    metadata: JSON | None = strawberry.field(
        default=None,
        description="Key-value pairs of your own (string values), shown in the "
        "connection's metadata and usable in the connections filter.",
    )
    reach: Reach | None = strawberry.field(
        default=None,
        description="How to reach a Prometheus or Grafana (default: DIRECT when a url is "
        "given, else as it is: CLUSTER_PROXY for one discovered in a cluster, DIRECT "
        "otherwise). CLUSTER_PROXY needs a service discovered in a cluster (BAD_INPUT "
        "otherwise).",
    )


@strawberry.input(description="Test a stored connection, or a kind plus URL and secret.")
class TestConnectionInput:
    connection_id: strawberry.ID | None = None
    kind: str | None = None
    url: str | None = None
    credential_id: strawberry.ID | None = None
    credential: SecretInput | None = None
    registration: JSON | None = None


@strawberry.input
class UpdateConnectionInput:
    name: str | None = None
    url: str | None = None
    registration: JSON | None = None
    metadata: JSON | None = strawberry.field(
        default=None,
        description="User metadata keys to set (string values) or remove (null values).",
    )


@strawberry.input
class CreateCredentialInput:
    name: str
    kind: str = strawberry.field(description="kubernetes, prometheus or grafana.")
    type: str = strawberry.field(description="A credential type the kind accepts.")
    data: JSON


@strawberry.input
class UpdateCredentialInput:
    name: str | None = None
    data: JSON | None = strawberry.field(
        default=None, description="Fields to change; a null value removes the field."
    )


@strawberry.input
class EnvironmentInput:
    name: str | None = None
    description: str | None = None


def _values(name: str, values: list[Any] | None) -> tuple[str, ...]:
    if not values:
        return ()
    if len(values) > MAX_VALUES:
        raise BadInput(f"{name} accepts at most {MAX_VALUES} values", field=name)
    return tuple(str(v) for v in values)


def _known(name: str, values: list[str] | None, known: tuple[str, ...]) -> tuple[str, ...]:
    """``values``, each of which must be one of ``known``."""
    given = _values(name, values)
    unknown = [v for v in given if v not in known]
    if unknown:
        raise BadInput(
            f"unknown {name} {', '.join(map(repr, unknown[:5]))}; expected any of "
            f"{', '.join(known)}",
            field=name,
        )
    return given


def _search(text: str | None) -> str | None:
    cleaned = (text or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_SEARCH:
        raise BadInput(f"search is limited to {MAX_SEARCH} characters", field="search")
    return cleaned


def connection_query(filter: ConnectionFilter | None) -> ConnectionQuery:
    if filter is None:
        return ConnectionQuery()
    return ConnectionQuery(
        kinds=tuple(get_definition(k).kind for k in _values("kinds", filter.kinds)),
        statuses=tuple(dict.fromkeys(s for s in filter.statuses or ())),
        environment_ids=_values("environmentIds", filter.environment_ids),
        search=_search(filter.search),
        metadata=_metadata_filter(filter.metadata),
    )


def _metadata_filter(value: object | None) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    return tuple(sorted(user_metadata(value, "filter.metadata").items()))


def connection_matches(
    query: ConnectionQuery, record: ConnectionRecord, environment_ids: set[str]
) -> bool:
    """Whether a connection meets a query, as the store would select it."""
    if query.kinds and record.kind not in query.kinds:
        return False
    if query.statuses and record.status not in query.statuses:
        return False
    if query.environment_ids and not environment_ids & set(query.environment_ids):
        return False
    if query.metadata and not matches(record.metadata, query.metadata):
        return False
    if query.search:
        text = query.search.lower()
        return text in record.name.lower() or text in record.url.lower()
    return True


def event_query(filter: EventFilter | None) -> EventQuery:
    if filter is None:
        return EventQuery()
    since, until = _aware(filter.since), _aware(filter.until)
    if since and until and since >= until:
        raise BadInput("since must be before until", field="since")
    return EventQuery(
        severities=tuple(s.value for s in filter.severities or ()),
        categories=_known("categories", filter.categories, LOG_CATEGORIES),
        subject_types=_known("subjectTypes", filter.subject_types, LOG_SUBJECT_TYPES),
        subject_ids=_values("subjectIds", filter.subject_ids),
        actors=_values("actors", filter.actors),
        since=since,
        until=until,
        search=_search(filter.search),
        read=filter.read,
    )


def json_object(value: object, field: str) -> dict[str, Any]:
    """A JSON input that must be an object (credential data, registration fields)."""
    if not isinstance(value, dict):
        raise BadInput(f"{field} must be an object", field=field)
    return value


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
