"""Registry root queries: models and components (read-only)."""

from __future__ import annotations

import strawberry

from graphql_server.api.context import Info
from graphql_server.api.pages import PageInfo
from graphql_server.api.registry.types import Component, Model, ModelSource
from graphql_server.errors import BadInput
from graphql_server.registry import Source

MAX_PAGE = 500


@strawberry.input
class ModelFilter:
    names: list[str] | None = None
    source: ModelSource | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name or display name."
    )


@strawberry.input
class ComponentFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the kind or display name."
    )
    model_names: list[str] | None = None
    api_version: str | None = None
    kind: str | None = None
    active_only: bool = strawberry.field(
        default=False, description="Only the components that win their kind."
    )


@strawberry.type
class ComponentEdge:
    cursor: str
    node: Component
    active: bool


@strawberry.type
class ComponentConnection:
    edges: list[ComponentEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class RegistryQuery:
    @strawberry.field(description="Models of the registry (built-in, imported, generated).")
    def models(self, info: Info, filter: ModelFilter | None = None) -> list[Model]:
        registry = info.context.services.registry
        source = Source(filter.source.value) if filter and filter.source else None
        models = registry.models(source=source, names=(filter.names or ()) if filter else ())
        needle = (filter.search or "").casefold().strip() if filter else ""
        if needle:
            models = [
                m
                for m in models
                if needle in m.name.casefold() or needle in m.display_name.casefold()
            ]
        return [Model.of(m) for m in sorted(models, key=lambda m: (m.name, m.version))]

    @strawberry.field(description="Components, optionally filtered, one page at a time.")
    def components(
        self,
        info: Info,
        filter: ComponentFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> ComponentConnection:
        if not 0 <= first <= MAX_PAGE:
            raise BadInput(f"first must be between 0 and {MAX_PAGE}")
        f = filter or ComponentFilter()
        entries = info.context.services.registry.entries(
            text=f.search,
            model_names=f.model_names or (),
            api_version=f.api_version,
            kind=f.kind,
            active_only=f.active_only,
        )
        start = _offset(after)
        window = entries[start : start + first]
        edges = [
            ComponentEdge(
                cursor=str(start + i + 1),
                node=Component.of(e.model, e.component, e.resolved),
                active=e.active,
            )
            for i, e in enumerate(window)
        ]
        return ComponentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=start + first < len(entries),
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(entries),
        )


def _offset(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isdigit():
        raise BadInput("invalid cursor")
    return int(after)
