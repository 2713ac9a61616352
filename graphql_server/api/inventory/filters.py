"""The resource filter and ordering inputs, and the filter's two uses: store queries
(SQL, in ``store.resources``) and matching live events in memory.

Both uses must agree: a row matches ``matches(to_query(f), row)`` exactly when the
store returns it for ``to_query(f)``. Nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry

from graphql_server.errors import BadInput
from graphql_server.events import ResourceEvent as StoredEvent
from graphql_server.events import ResourceEventType as StoredEventType
from graphql_server.labels import parse_selector
from graphql_server.services.records import ResourceQuery, StoredResource, split_resource_id

if TYPE_CHECKING:
    from graphql_server.api.context import Services

MAX_FILTER_VALUES = 500


@strawberry.input(description="Every field narrows the result; empty fields select everything.")
class ResourceFilter:
    cluster_ids: list[strawberry.ID] | None = None
    namespaces: list[str] | None = strawberry.field(
        default=None, description='Namespaces; `""` selects cluster-scoped resources.'
    )
    kinds: list[str] | None = None
    api_versions: list[str] | None = None
    label_selector: str | None = strawberry.field(
        default=None, description="A Kubernetes label selector, e.g. `app=web,tier!=db`."
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only resources whose ownerReferences name this resource "
        "(its id, `<cluster id>/<uid>`): a Deployment's ReplicaSets, a ReplicaSet's Pods.",
    )
    models: list[str] | None = strawberry.field(
        default=None,
        description="Only resources whose component belongs to one of these models "
        "(as `Resource.component.model.name` shows it, generated models included).",
    )


@strawberry.enum(description="What resources are ordered by; ties are broken by id.")
class ResourceOrderField(Enum):
    NAME = "NAME"
    KIND = "KIND"
    NAMESPACE = "NAMESPACE"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(
    description="The order of a resource page. A cursor only continues its own order."
)
class ResourceOrder:
    field: ResourceOrderField = ResourceOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


def bounded_values(name: str, values: list[Any] | None) -> tuple[str, ...]:
    if not values:
        return ()
    if len(values) > MAX_FILTER_VALUES:
        raise BadInput(f"{name} accepts at most {MAX_FILTER_VALUES} values")
    return tuple(dict.fromkeys(str(v) for v in values))


async def resolve_query(filter: ResourceFilter | None, services: Services) -> ResourceQuery:
    """``to_query``, with the ``models`` filter turned into the (apiVersion, kind) pairs
    whose component currently belongs to those models."""
    query = to_query(filter)
    if filter is None or filter.models is None:
        return query
    names = set(bounded_values("models", filter.models))
    fingerprints = services.fingerprints
    pairs = {
        (entry.component.api_version, entry.component.kind)
        for entry in services.registry.entries(model_names=names, active_only=True)
    }
    # Stored kinds no model defines belong to generated models: resolve what is stored.
    for found in await services.store.resources.count_by(ResourceQuery(), ["api_version", "kind"]):
        key = (str(found["api_version"]), str(found["kind"]))
        if key not in pairs and fingerprints.component(*key, True).model.name in names:
            pairs.add(key)
    return dataclasses.replace(query, kind_pairs=tuple(sorted(pairs)))


def to_query(filter: ResourceFilter | None) -> ResourceQuery:
    """Validate a filter and turn it into a store query (``BadInput`` when invalid)."""
    if filter is None:
        return ResourceQuery()
    search = (filter.search or "").strip() or None
    if search is not None and len(search) > 253:
        raise BadInput("search is limited to 253 characters")
    cluster_ids = bounded_values("clusterIds", filter.cluster_ids)
    owner_uid: str | None = None
    uids: tuple[str, ...] | None = None
    if filter.owner is not None:
        owner_cluster, owner_uid = split_resource_id(str(filter.owner))
        if cluster_ids and owner_cluster not in cluster_ids:
            uids = ()  # the owner's dependents live in its cluster only: nothing matches
        cluster_ids = (owner_cluster,)
    return ResourceQuery(
        cluster_ids=cluster_ids,
        namespaces=bounded_values("namespaces", filter.namespaces),
        kinds=bounded_values("kinds", filter.kinds),
        api_versions=bounded_values("apiVersions", filter.api_versions),
        selector=parse_selector(filter.label_selector),
        search=search,
        owner_uid=owner_uid,
        uids=uids,
    )


def matches(
    query: ResourceQuery, row: StoredResource, labels: dict[str, str] | None = None
) -> bool:
    """Whether a stored row (with ``labels``, default its own) meets the query."""
    if query.cluster_ids and row["cluster_id"] not in query.cluster_ids:
        return False
    if query.namespaces and row["namespace"] not in query.namespaces:
        return False
    if query.kinds and row["kind"] not in query.kinds:
        return False
    if query.api_versions and row["api_version"] not in query.api_versions:
        return False
    if query.uids is not None and row["uid"] not in query.uids:
        return False
    if query.kind_pairs is not None and (row["api_version"], row["kind"]) not in query.kind_pairs:
        return False
    if query.search and query.search.lower() not in row["name"].lower():
        return False
    if query.owner_uid is not None and not any(
        isinstance(ref, dict) and ref.get("uid") == query.owner_uid
        for ref in row.get("owner_references") or ()
    ):
        return False
    return query.selector.matches(row["labels"] if labels is None else labels)


def change_seen_by(query: ResourceQuery, event: StoredEvent) -> StoredEventType | None:
    """How a subscriber to ``query`` sees a stored change, or ``None`` when it does not.

    An object that starts matching (its labels changed) is ADDED for the
    subscriber, one that stops matching is DELETED.
    """
    row = event.resource
    now = matches(query, row)
    if event.type is not StoredEventType.MODIFIED or event.previous_labels is None:
        return event.type if now else None
    before = matches(query, row, event.previous_labels)
    if now:
        return StoredEventType.MODIFIED if before else StoredEventType.ADDED
    return StoredEventType.DELETED if before else None
