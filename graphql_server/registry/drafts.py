"""Validated-but-unassembled definitions and their assembly into models.

Every document format (the registry's own, Meshery's) is read into these drafts;
``build_model`` then fills defaults (display names, inherited colours, drawn icons)
the same way for all of them. Must not parse documents or do I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql_server.registry.definitions import Component, Model, Source, Styles, category_named
from graphql_server.registry.icons import (
    NEUTRAL_PRIMARY,
    NEUTRAL_SECONDARY,
    abbreviate,
    glyph,
    glyph_white,
)

DEFAULT_SHAPE = "round-rectangle"
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+")


@dataclass(slots=True)
class ComponentDraft:
    api_version: str
    kind: str
    display_name: str | None = None
    namespaced: bool = True
    primary_color: str | None = None
    secondary_color: str | None = None
    svg_color: str | None = None
    svg_white: str | None = None
    shape: str | None = None
    schema: str | None = None
    description: str = ""


@dataclass(slots=True)
class ModelDraft:
    name: str
    version: str
    display_name: str | None = None
    category: str | None = None
    primary_color: str | None = None
    secondary_color: str | None = None
    svg_color: str | None = None
    svg_white: str | None = None
    shape: str | None = None
    priority: int = 0
    description: str = ""
    components: list[ComponentDraft] = field(default_factory=list)


def words_of(kind: str) -> str:
    """``VirtualService`` -> ``Virtual Service``; ``HTTPRoute`` -> ``HTTP Route``."""
    return " ".join(_WORDS.findall(kind)) or kind


def build_model(draft: ModelDraft, source: Source) -> Model:
    display_name = draft.display_name or draft.name
    primary = draft.primary_color or NEUTRAL_PRIMARY
    secondary = draft.secondary_color or NEUTRAL_SECONDARY
    shape = draft.shape or DEFAULT_SHAPE
    label = abbreviate(display_name.replace(" ", "").replace("-", " ").title().replace(" ", ""))
    styles = Styles(
        primary_color=primary,
        secondary_color=secondary,
        svg_color=draft.svg_color or glyph(label, primary, secondary, title=display_name),
        svg_white=draft.svg_white or glyph_white(label, title=display_name),
        shape=shape,
    )
    components = tuple(
        _build_component(item, draft.name, draft.version, styles) for item in draft.components
    )
    return Model(
        name=draft.name,
        version=draft.version,
        display_name=display_name,
        category=category_named(draft.category or "Uncategorized"),
        styles=styles,
        source=source,
        priority=draft.priority,
        description=draft.description,
        components=components,
    )


def _build_component(
    draft: ComponentDraft, model_name: str, model_version: str, model_styles: Styles
) -> Component:
    display_name = draft.display_name or words_of(draft.kind)
    primary = draft.primary_color or model_styles.primary_color
    secondary = draft.secondary_color or model_styles.secondary_color
    label = abbreviate(draft.kind)
    styles = Styles(
        primary_color=primary,
        secondary_color=secondary,
        svg_color=draft.svg_color or glyph(label, primary, secondary, title=display_name),
        svg_white=draft.svg_white or glyph_white(label, title=display_name),
        shape=draft.shape or model_styles.shape,
    )
    return Component(
        model_name=model_name,
        model_version=model_version,
        api_version=draft.api_version,
        kind=draft.kind,
        display_name=display_name,
        namespaced=draft.namespaced,
        styles=styles,
        schema=draft.schema,
        description=draft.description,
    )
