"""Meshery model and component definition files, read into registry drafts.

Owns the mapping from Meshery's ``models.meshery.io`` and ``components.meshery.io``
documents to our drafts: the fields we use (names, versions, category, colours,
icons, shape, namespacing, the kind's schema) are validated, everything else is
ignored. Meshery leaves unset strings empty, so empty values count as absent here.
Must not assemble models or decide precedence; ``loading`` groups the drafts.
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
    read_object,
    read_schema,
    read_str,
    read_svg,
    type_name,
)

MODEL_SCHEMA_VERSIONS = frozenset({"models.meshery.io/v1beta1", "models.meshery.io/v1beta2"})
COMPONENT_SCHEMA_VERSIONS = frozenset(
    {"components.meshery.io/v1beta1", "components.meshery.io/v1beta2"}
)


def parse_model(
    doc: Mapping[str, Any], problems: Problems, icons: IconSource | None = None
) -> ModelDraft | None:
    """A Meshery model document; an embedded ``components`` array is read too."""
    draft = _model_header(doc, "", problems, icons)
    components = doc.get("components")
    if components is not None and not isinstance(components, list):
        problems.add("components", f"expected an array or null, got {type_name(components)}")
    elif isinstance(components, list):
        seen: dict[tuple[str, str], int] = {}
        for index, item in enumerate(components):
            path = at("components", index)
            if not isinstance(item, Mapping):
                problems.add(path, f"expected an object, got {type_name(item)}")
                continue
            component = _component_body(item, path, problems, icons)
            if component is None or draft is None:
                continue
            key = (component.api_version, component.kind)
            if key in seen:
                problems.add(
                    path, f"{key[1]} ({key[0]}) is already defined at components[{seen[key]}]"
                )
                continue
            seen[key] = index
            draft.components.append(component)
    return None if problems else draft


def parse_component(
    doc: Mapping[str, Any], problems: Problems, icons: IconSource | None = None
) -> ModelDraft | None:
    """A Meshery component document, as a draft of its model holding just this component."""
    model_path = "modelReference" if "modelReference" in doc and "model" not in doc else "model"
    model_doc = read_object(doc, model_path, "", problems, required=True)
    draft = None
    if model_doc is not None:
        draft = _model_header(model_doc, model_path, problems, icons)
    component = _component_body(doc, "", problems, icons)
    if problems or draft is None or component is None:
        return None
    draft.components.append(component)
    return draft


def _model_header(
    doc: Mapping[str, Any],
    path: str,
    problems: Problems,
    icons: IconSource | None,
) -> ModelDraft | None:
    name = read_str(doc, "name", path, problems, required=True, pattern=NAME, expected="a name")
    version = _model_version(doc, path, problems)
    display_name = read_str(doc, "displayName", path, problems, empty_is_missing=True)
    description = read_str(doc, "description", path, problems, max_len=4000) or ""
    category = _category(doc, path, problems)
    metadata = read_object(doc, "metadata", path, problems) or {}
    meta_path = at(path, "metadata")
    primary = read_color(metadata, "primaryColor", meta_path, problems, lenient=True)
    secondary = read_color(metadata, "secondaryColor", meta_path, problems, lenient=True)
    svg_color = read_svg(metadata, "svgColor", meta_path, problems, icons=icons, lenient=True)
    svg_white = read_svg(metadata, "svgWhite", meta_path, problems, icons=icons, lenient=True)
    shape = read_str(
        metadata,
        "shape",
        meta_path,
        problems,
        pattern=SHAPE,
        expected="a shape name",
        empty_is_missing=True,
    )
    if name is None or version is None:
        return None
    return ModelDraft(
        name=name,
        version=version,
        display_name=display_name,
        category=category,
        primary_color=primary,
        secondary_color=secondary,
        svg_color=svg_color,
        svg_white=svg_white,
        shape=shape,
        description=description,
    )


def _model_version(doc: Mapping[str, Any], path: str, problems: Problems) -> str | None:
    """The upstream version (``model.version``) when given, else the definition's version."""
    upstream = read_object(doc, "model", path, problems)
    if upstream is not None:
        version = read_str(
            upstream,
            "version",
            at(path, "model"),
            problems,
            pattern=VERSION,
            expected="a version",
            empty_is_missing=True,
        )
        if version is not None:
            return version
    return read_str(
        doc, "version", path, problems, required=True, pattern=VERSION, expected="a version"
    )


def _category(doc: Mapping[str, Any], path: str, problems: Problems) -> str | None:
    value = doc.get("category")
    if isinstance(value, Mapping):
        return read_str(value, "name", at(path, "category"), problems, empty_is_missing=True)
    return read_str(doc, "category", path, problems, empty_is_missing=True)


def _component_body(
    doc: Mapping[str, Any], path: str, problems: Problems, icons: IconSource | None
) -> ComponentDraft | None:
    body = read_object(doc, "component", path, problems, required=True) or {}
    body_path = at(path, "component")
    kind = read_str(
        body, "kind", body_path, problems, required=True, pattern=KIND, expected="a kind"
    )
    api_version = read_str(
        body,
        "version",
        body_path,
        problems,
        required=True,
        pattern=API_VERSION,
        expected="an apiVersion (group/version, or version for the core group)",
    )
    schema = read_schema(body, "schema", body_path, problems, lenient=True)
    display_name = read_str(doc, "displayName", path, problems, empty_is_missing=True)
    description = read_str(doc, "description", path, problems, max_len=4000) or ""
    metadata = read_object(doc, "metadata", path, problems) or {}
    meta_path = at(path, "metadata")
    namespaced = read_bool(metadata, "isNamespaced", meta_path, problems)
    styles = read_object(doc, "styles", path, problems) or {}
    styles_path = at(path, "styles")

    def holder(key: str) -> tuple[Mapping[str, Any], str, str]:
        # Older files keep some styles in metadata; ``styles`` wins when both are set.
        value = styles.get(key)
        if (not isinstance(value, str) or not value.strip()) and key in metadata:
            return metadata, key, meta_path
        return styles, key, styles_path

    primary = read_color(*holder("primaryColor"), problems, lenient=True)
    secondary = read_color(*holder("secondaryColor"), problems, lenient=True)
    svg_color = read_svg(*holder("svgColor"), problems, icons=icons, lenient=True)
    svg_white = read_svg(*holder("svgWhite"), problems, icons=icons, lenient=True)
    shape = read_str(
        *holder("shape"), problems, pattern=SHAPE, expected="a shape name", empty_is_missing=True
    )
    if kind is None or api_version is None:
        return None
    return ComponentDraft(
        api_version=api_version,
        kind=kind,
        display_name=display_name,
        namespaced=True if namespaced is None else namespaced,
        primary_color=primary,
        secondary_color=secondary,
        svg_color=svg_color,
        svg_white=svg_white,
        shape=shape,
        schema=schema,
        description=description,
    )
