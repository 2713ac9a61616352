"""Components generated on the fly for served kinds that no model defines.

A kind's API group becomes a generated model (name = the group, ``core`` for the core
group) in the "Uncategorized" category with neutral colours and a generic icon; each
kind becomes a component of it, keeping the CRD's OpenAPI v3 schema and printer
columns when given. So
every stored resource has a component. Must not hold state or decide precedence:
``catalog`` owns the generated models and when to create them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphql_server.errors import BadInput
from graphql_server.registry.definitions import (
    UNCATEGORIZED,
    Component,
    Model,
    PrinterColumn,
    Source,
    Styles,
    canonical_schema,
    split_api_version,
)
from graphql_server.registry.drafts import words_of
from graphql_server.registry.fields import API_VERSION, KIND
from graphql_server.registry.icons import (
    NEUTRAL_PRIMARY,
    NEUTRAL_SECONDARY,
    abbreviate,
    glyph,
    glyph_white,
)

GENERATED_VERSION = "0.0.0-generated"
GENERATED_SHAPE = "round-rectangle"
GENERATED_GLYPH = "square"
CORE_GROUP_MODEL = "core"
_DOMAIN_SUFFIXES = frozenset({"com", "io", "org", "net", "dev", "sh", "cloud", "ai", "co"})


def model_name_for(api_version: str) -> str:
    group = split_api_version(api_version)[0]
    return group or CORE_GROUP_MODEL


def display_name_for_group(group: str) -> str:
    """``example.com`` -> ``Example``; ``acme.cert-manager.io`` -> ``Acme Cert Manager``."""
    labels = group.split(".")
    while len(labels) > 1 and labels[-1] in _DOMAIN_SUFFIXES:
        labels.pop()
    words = [word for label in labels for word in re.split(r"[-_]", label) if word]
    return " ".join(word[:1].upper() + word[1:] for word in words) or group


def validate_kind(api_version: str, kind: str) -> None:
    if not isinstance(api_version, str) or not API_VERSION.fullmatch(api_version):
        raise BadInput(f"{api_version!r} is not an apiVersion", field="apiVersion")
    if not isinstance(kind, str) or not KIND.fullmatch(kind):
        raise BadInput(f"{kind!r} is not a kind", field="kind")


def schema_text(schema: Mapping[str, Any] | str | None) -> str | None:
    if schema is None:
        return None
    if isinstance(schema, str):
        return schema
    try:
        return canonical_schema(schema)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"the schema cannot be stored as JSON ({exc})", field="schema") from exc


def generated_component(
    api_version: str,
    kind: str,
    namespaced: bool,
    schema: str | None,
    printer_columns: tuple[PrinterColumn, ...] = (),
) -> Component:
    display_name = words_of(kind)
    label = abbreviate(kind)
    return Component(
        model_name=model_name_for(api_version),
        model_version=GENERATED_VERSION,
        api_version=api_version,
        kind=kind,
        display_name=display_name,
        namespaced=namespaced,
        styles=Styles(
            primary_color=NEUTRAL_PRIMARY,
            secondary_color=NEUTRAL_SECONDARY,
            svg_color=glyph(
                label, NEUTRAL_PRIMARY, NEUTRAL_SECONDARY, GENERATED_GLYPH, display_name
            ),
            svg_white=glyph_white(label, GENERATED_GLYPH, display_name),
            shape=GENERATED_SHAPE,
        ),
        schema=schema,
        description=f"{display_name} ({api_version}), described from the cluster's API.",
        printer_columns=printer_columns,
    )


def with_component(existing: Model | None, component: Component) -> Model:
    """The generated model of the component's group, with the component added or replaced."""
    if existing is None:
        existing = _empty_model(component.model_name, split_api_version(component.api_version)[0])
    others = tuple(c for c in existing.components if c.key != component.key)
    return existing.with_components(tuple(sorted((*others, component), key=lambda c: c.key)))


def without_component(existing: Model, api_version: str, kind: str) -> Model | None:
    """The generated model without that kind, or None when nothing would remain."""
    remaining = tuple(c for c in existing.components if c.key != (api_version, kind))
    return existing.with_components(remaining) if remaining else None


def _empty_model(name: str, group: str) -> Model:
    display_name = display_name_for_group(group) if group else "Kubernetes Core"
    label = abbreviate(display_name.replace(" ", ""))
    return Model(
        name=name,
        version=GENERATED_VERSION,
        display_name=display_name,
        category=UNCATEGORIZED,
        styles=Styles(
            primary_color=NEUTRAL_PRIMARY,
            secondary_color=NEUTRAL_SECONDARY,
            svg_color=glyph(
                label, NEUTRAL_PRIMARY, NEUTRAL_SECONDARY, GENERATED_GLYPH, display_name
            ),
            svg_white=glyph_white(label, GENERATED_GLYPH, display_name),
            shape=GENERATED_SHAPE,
        ),
        source=Source.GENERATED,
        description=f"Kinds of the API group {group or '(core)'} that no model defines.",
    )
