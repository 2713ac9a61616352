"""Models written back as documents of the registry's own format.

Imported models are persisted in this form (whatever format they arrived in),
so reloading them on start goes through the same strict loader as an import.
"""

from __future__ import annotations

from typing import Any

import orjson

from graphql_server.registry.definitions import Component, Model, Styles
from graphql_server.registry.native import SCHEMA_VERSION


def _styles(styles: Styles) -> dict[str, str]:
    return {
        "primaryColor": styles.primary_color,
        "secondaryColor": styles.secondary_color,
        "svgColor": styles.svg_color,
        "svgWhite": styles.svg_white,
        "shape": styles.shape,
    }


def _component(component: Component) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": component.api_version,
        "kind": component.kind,
        "displayName": component.display_name,
        "namespaced": component.namespaced,
        "styles": _styles(component.styles),
    }
    if component.description:
        document["description"] = component.description
    if component.schema is not None:
        document["schema"] = orjson.loads(component.schema)
    return document


def model_document(model: Model) -> dict[str, Any]:
    """The model as a ``registry.graphql-server/v1`` document."""
    document: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "name": model.name,
        "version": model.version,
        "displayName": model.display_name,
        "category": model.category.name,
        "priority": model.priority,
        "styles": _styles(model.styles),
        "components": [_component(c) for c in model.components],
    }
    if model.description:
        document["description"] = model.description
    return document
