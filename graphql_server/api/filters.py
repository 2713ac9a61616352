"""The resource filter input, and its two uses: SQL queries and live event matching."""

from __future__ import annotations

from typing import Any

import strawberry

from graphql_server.errors import BadInput
from graphql_server.labels import parse_selector
from graphql_server.store.resources import ResourceQuery

MAX_FILTER_VALUES = 500


@strawberry.input(description="Every field narrows the result; empty fields select everything.")
class ResourceFilter:
    cluster_ids: list[strawberry.ID] | None = None
    namespaces: list[str] | None = None
    kinds: list[str] | None = None
    api_versions: list[str] | None = None
    label_selector: str | None = strawberry.field(
        default=None, description="A Kubernetes label selector, e.g. `app=web,tier!=db`."
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name."
    )


def _values(name: str, values: list[Any] | None) -> tuple[str, ...]:
    if not values:
        return ()
    if len(values) > MAX_FILTER_VALUES:
        raise BadInput(f"{name} accepts at most {MAX_FILTER_VALUES} values")
    return tuple(str(v) for v in values)


def to_query(filter: ResourceFilter | None) -> ResourceQuery:
    """Validate a filter and turn it into a store query (``BadInput`` when invalid)."""
    if filter is None:
        return ResourceQuery()
    search = (filter.search or "").strip() or None
    if search is not None and len(search) > 253:
        raise BadInput("search is limited to 253 characters")
    return ResourceQuery(
        cluster_ids=_values("clusterIds", filter.cluster_ids),
        namespaces=_values("namespaces", filter.namespaces),
        kinds=_values("kinds", filter.kinds),
        api_versions=_values("apiVersions", filter.api_versions),
        selector=parse_selector(filter.label_selector),
        search=search,
    )


def matches(
    query: ResourceQuery, row: dict[str, Any], labels: dict[str, str] | None = None
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
    if query.kind_pairs is not None and (row["api_version"], row["kind"]) not in query.kind_pairs:
        return False
    if query.search and query.search.lower() not in row["name"].lower():
        return False
    return query.selector.matches(row["labels"] if labels is None else labels)
