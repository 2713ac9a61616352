"""The registry's own definition format (``registry.graphql-server/v1``), read into drafts.

One document is a model with its components; ``schema/registry/README.md`` is the
reference. Unlike Meshery files this format is strict: unknown fields are reported,
so a misspelt ``primaryColour`` does not silently fall back to a default.
Must not assemble models or group documents; ``loading`` does that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql_server.registry.drafts import ComponentDraft, ModelDraft
from graphql_server.registry.fields import (
    API_VERSION,
    KIND,
    NAME,
    SHAPE,
    VERSION,
    IconSource,
    Problems,
    at,
    read_bool,
    read_color,
    read_int,
    read_object,
    read_schema,
    read_str,
    read_svg,
    reject_unknown,
    type_name,
)

SCHEMA_VERSION = "registry.graphql-server/v1"
MAX_PRIORITY = 1_000_000

_MODEL_FIELDS = frozenset(
    {
        "schemaVersion",
        "name",
        "version",
        "displayName",
        "description",
        "category",
        "priority",
        "styles",
        "components",
    }
)
_COMPONENT_FIELDS = frozenset(
    {"apiVersion", "kind", "displayName", "description", "namespaced", "styles", "schema"}
)
_STYLE_FIELDS = frozenset({"primaryColor", "secondaryColor", "svgColor", "svgWhite", "shape"})


def parse_model(
    doc: Mapping[str, Any], problems: Problems, icons: IconSource | None = None
) -> ModelDraft | None:
    reject_unknown(doc, _MODEL_FIELDS, "", problems)
    name = read_str(doc, "name", "", problems, required=True, pattern=NAME, expected="a name")
    version = read_str(
        doc, "version", "", problems, required=True, pattern=VERSION, expected="a version"
    )
    display_name = read_str(doc, "displayName", "", problems)
    description = read_str(doc, "description", "", problems, max_len=4000) or ""
    category = _category(doc, problems)
    priority = read_int(doc, "priority", "", problems, bound=MAX_PRIORITY)
    styles = _styles(doc, "", problems, icons)
    components = _components(doc, problems, icons)
    if problems or name is None or version is None:
        return None
    return ModelDraft(
        name=name,
        version=version,
        display_name=display_name,
        category=category,
        primary_color=styles.get("primaryColor"),
        secondary_color=styles.get("secondaryColor"),
        svg_color=styles.get("svgColor"),
        svg_white=styles.get("svgWhite"),
        shape=styles.get("shape"),
        priority=priority or 0,
        description=description,
        components=components,
    )


def _category(doc: Mapping[str, Any], problems: Problems) -> str | None:
    value = doc.get("category")
    if isinstance(value, Mapping):
        reject_unknown(value, frozenset({"name", "description"}), "category", problems)
        return read_str(value, "name", "category", problems, required=True)
    return read_str(doc, "category", "", problems)


def _styles(
    doc: Mapping[str, Any], path: str, problems: Problems, icons: IconSource | None
) -> dict[str, str | None]:
    styles = read_object(doc, "styles", path, problems)
    if styles is None:
        return {}
    styles_path = at(path, "styles")
    reject_unknown(styles, _STYLE_FIELDS, styles_path, problems)
    return {
        "primaryColor": read_color(styles, "primaryColor", styles_path, problems),
        "secondaryColor": read_color(styles, "secondaryColor", styles_path, problems),
        "svgColor": read_svg(styles, "svgColor", styles_path, problems, icons=icons),
        "svgWhite": read_svg(styles, "svgWhite", styles_path, problems, icons=icons),
        "shape": read_str(
            styles, "shape", styles_path, problems, pattern=SHAPE, expected="a shape name"
        ),
    }


def _components(
    doc: Mapping[str, Any], problems: Problems, icons: IconSource | None
) -> list[ComponentDraft]:
    items = doc.get("components")
    if items is None:
        problems.add("components", "required array is missing (use [] for a model without kinds)")
        return []
    if not isinstance(items, list):
        problems.add("components", f"expected an array, got {type_name(items)}")
        return []
    drafts: list[ComponentDraft] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        path = at("components", index)
        if not isinstance(item, Mapping):
            problems.add(path, f"expected an object, got {type_name(item)}")
            continue
        draft = _component(item, path, problems, icons)
        if draft is None:
            continue
        key = (draft.api_version, draft.kind)
        if key in seen:
            problems.add(
                path,
                f"{draft.kind} ({draft.api_version}) is already defined at components[{seen[key]}]",
            )
            continue
        seen[key] = index
        drafts.append(draft)
    return drafts


def _component(
    doc: Mapping[str, Any], path: str, problems: Problems, icons: IconSource | None
) -> ComponentDraft | None:
    reject_unknown(doc, _COMPONENT_FIELDS, path, problems)
    api_version = read_str(
        doc,
        "apiVersion",
        path,
        problems,
        required=True,
        pattern=API_VERSION,
        expected="an apiVersion (group/version, or version for the core group)",
    )
    kind = read_str(doc, "kind", path, problems, required=True, pattern=KIND, expected="a kind")
    display_name = read_str(doc, "displayName", path, problems)
    description = read_str(doc, "description", path, problems, max_len=4000) or ""
    namespaced = read_bool(doc, "namespaced", path, problems)
    schema = read_schema(doc, "schema", path, problems)
    styles = _styles(doc, path, problems, icons)
    if api_version is None or kind is None:
        return None
    return ComponentDraft(
        api_version=api_version,
        kind=kind,
        display_name=display_name,
        namespaced=True if namespaced is None else namespaced,
        primary_color=styles.get("primaryColor"),
        secondary_color=styles.get("secondaryColor"),
        svg_color=styles.get("svgColor"),
        svg_white=styles.get("svgWhite"),
        shape=styles.get("shape"),
        schema=schema,
        description=description,
    )
