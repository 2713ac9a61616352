"""Loading definition documents: JSON text in, accepted models and rejected items out.

Owns the pipeline shared by built-in data, user imports and Meshery files: parse
JSON, dispatch each item on its ``schemaVersion``, validate it whole, group Meshery
component files with their model, and assemble models. A rejected item contributes
nothing; every rejection names the item, the field and the reason. Never raises on
bad input. Must not touch a registry: ``Registry.load`` applies the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from graphql_server.errors import BadInput
from graphql_server.registry import meshery, native
from graphql_server.registry.definitions import Model, Source
from graphql_server.registry.drafts import ModelDraft, build_model
from graphql_server.registry.fields import IconSource, Problems, type_name

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
SCHEMA_VERSIONS = (
    native.SCHEMA_VERSION,
    *sorted(meshery.MODEL_SCHEMA_VERSIONS),
    *sorted(meshery.COMPONENT_SCHEMA_VERSIONS),
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one item was not accepted. ``path`` is the field within the item ("" = whole item);
    ``model_name`` is the model the item names, when it names one."""

    item: str
    path: str
    reason: str
    subject: str = ""
    model_name: str | None = None

    @property
    def message(self) -> str:
        where = f"{self.item} ({self.subject})" if self.subject else self.item
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"

    def to_error(self) -> BadInput:
        return BadInput(self.message, item=self.item, path=self.path, reason=self.reason)


@dataclass(frozen=True, slots=True)
class LoadResult:
    models: tuple[Model, ...] = ()
    rejected: tuple[Rejection, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.rejected

    def errors(self) -> list[BadInput]:
        return [rejection.to_error() for rejection in self.rejected]

    def raise_if_rejected(self) -> None:
        if self.rejected:
            messages = [rejection.message for rejection in self.rejected]
            raise BadInput(
                f"{len(messages)} problem(s) in definitions: " + "; ".join(messages[:5]),
                rejections=messages,
            )


@dataclass(frozen=True, slots=True)
class LoadedItem:
    """One accepted item as a model: a model item with the components it carries, or a
    component file as its embedded model block holding just that component."""

    item: str
    subject: str
    model: Model
    component_file: bool


@dataclass(frozen=True, slots=True)
class ItemsResult:
    """Every accepted item, in document order, and every rejection."""

    items: tuple[LoadedItem, ...] = ()
    rejected: tuple[Rejection, ...] = ()


@dataclass(slots=True)
class _Pending:
    """Items read so far, keyed by model (name, version), before Meshery files are grouped."""

    native: dict[tuple[str, str], tuple[str, ModelDraft]] = field(default_factory=dict)
    meshery_models: dict[tuple[str, str], tuple[str, ModelDraft]] = field(default_factory=dict)
    meshery_components: list[tuple[str, str, ModelDraft]] = field(default_factory=list)


def load(
    data: bytes | str | Any,
    *,
    origin: str = "input",
    source: Source = Source.IMPORTED,
    icons: IconSource | None = None,
) -> LoadResult:
    """Load one document: JSON text (or already-parsed JSON) holding an object or a list."""
    return load_many([(origin, data)], source=source, icons=icons)


def load_many(
    documents: Iterable[tuple[str, bytes | str | Any]],
    *,
    source: Source = Source.IMPORTED,
    icons: IconSource | None = None,
) -> LoadResult:
    """Load several named documents together, e.g. a Meshery model file and its components,
    as whole models: a model defined twice, or a kind twice in one model, is rejected."""
    rejected: list[Rejection] = []
    pending = _Pending()
    for origin, data in documents:
        for item, doc in _items(origin, data, rejected):
            parsed = _take(item, doc, icons, rejected)
            if parsed is not None:
                _pend(item, *parsed, pending, rejected)
    drafts = dict(pending.native)
    for key, (items, draft) in _group_meshery(pending, rejected).items():
        if key in drafts:
            reason = f"model {key[0]!r} {key[1]} is already defined by {drafts[key][0]}"
            rejected.extend(Rejection(item, "", reason, model_name=key[0]) for item in items)
        else:
            drafts[key] = (items[0], draft)
    accepted = tuple(build_model(draft, source) for _, draft in drafts.values())
    return LoadResult(accepted, tuple(rejected))


def load_items(
    documents: Iterable[tuple[str, bytes | str | Any]], *, source: Source = Source.IMPORTED
) -> ItemsResult:
    """Load documents item by item, for an import that merges each item into what is stored."""
    rejected: list[Rejection] = []
    accepted: list[LoadedItem] = []
    for origin, data in documents:
        for item, doc in _items(origin, data, rejected):
            parsed = _take(item, doc, None, rejected)
            if parsed is not None:
                subject, schema_version, draft = parsed
                component_file = schema_version in meshery.COMPONENT_SCHEMA_VERSIONS
                model = build_model(draft, source)
                accepted.append(LoadedItem(item, subject, model, component_file))
    return ItemsResult(tuple(accepted), tuple(rejected))


def _items(origin: str, data: Any, rejected: list[Rejection]) -> list[tuple[str, Any]]:
    if isinstance(data, bytes | bytearray | memoryview | str):
        if len(data) > MAX_DOCUMENT_BYTES:
            rejected.append(Rejection(origin, "", f"larger than {MAX_DOCUMENT_BYTES} bytes"))
            return []
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            rejected.append(Rejection(origin, "", f"not valid JSON ({exc})"))
            return []
    if isinstance(data, Mapping):
        return [(origin, data)]
    if isinstance(data, list):
        return [(f"{origin}[{index}]", doc) for index, doc in enumerate(data)]
    rejected.append(
        Rejection(origin, "", f"expected an object or an array of objects, got {type_name(data)}")
    )
    return []


def _take(
    item: str, doc: Any, icons: IconSource | None, rejected: list[Rejection]
) -> tuple[str, str, ModelDraft] | None:
    """(subject, schemaVersion, draft) of a valid item; None with its rejections otherwise."""
    if not isinstance(doc, Mapping):
        rejected.append(Rejection(item, "", f"expected an object, got {type_name(doc)}"))
        return None
    subject, model_name = _subject(doc), _model_name(doc)
    schema_version = doc.get("schemaVersion")
    expected = f"expected one of {', '.join(SCHEMA_VERSIONS)}"
    if not isinstance(schema_version, str):
        found = "missing" if schema_version is None else f"a {type_name(schema_version)}"
        rejected.append(
            Rejection(item, "schemaVersion", f"{found}; {expected}", subject, model_name)
        )
        return None
    problems = Problems()
    if schema_version == native.SCHEMA_VERSION:
        draft = native.parse_model(doc, problems, icons)
    elif schema_version in meshery.MODEL_SCHEMA_VERSIONS:
        draft = meshery.parse_model(doc, problems, icons)
    elif schema_version in meshery.COMPONENT_SCHEMA_VERSIONS:
        draft = meshery.parse_component(doc, problems, icons)
    else:
        reason = f"unknown schemaVersion {schema_version[:100]!r}; {expected}"
        rejected.append(Rejection(item, "schemaVersion", reason, subject, model_name))
        return None
    if problems or draft is None:
        rejected.extend(
            Rejection(item, p.path, p.reason, subject, model_name) for p in problems.items
        )
        return None
    return subject, schema_version, draft


def _pend(
    item: str,
    subject: str,
    schema_version: str,
    draft: ModelDraft,
    pending: _Pending,
    rejected: list[Rejection],
) -> None:
    key = (draft.name, draft.version)
    if schema_version in meshery.COMPONENT_SCHEMA_VERSIONS:
        pending.meshery_components.append((item, subject, draft))
        return
    seen = pending.native if schema_version == native.SCHEMA_VERSION else pending.meshery_models
    if key in seen:
        reason = f"duplicate of {seen[key][0]}"
        rejected.append(Rejection(item, "", reason, subject, draft.name))
    else:
        seen[key] = (item, draft)


def _group_meshery(
    pending: _Pending, rejected: list[Rejection]
) -> dict[tuple[str, str], tuple[list[str], ModelDraft]]:
    """Attach Meshery component files to their model file, or to a model built from the first
    component's embedded model block when no model file came with them."""
    groups = {key: ([item], draft) for key, (item, draft) in pending.meshery_models.items()}
    defined_by: dict[tuple[str, str, str, str], str] = {}
    for key, ([item], draft) in groups.items():
        for component in draft.components:
            defined_by[(*key, component.api_version, component.kind)] = item
    for item, subject, draft in pending.meshery_components:
        key = (draft.name, draft.version)
        component = draft.components[0]
        component_key = (*key, component.api_version, component.kind)
        if component_key in defined_by:
            reason = (
                f"{component.kind} ({component.api_version}) of model {key[0]!r} {key[1]} is "
                f"already defined by {defined_by[component_key]}"
            )
            rejected.append(Rejection(item, "component", reason, subject, key[0]))
            continue
        defined_by[component_key] = item
        if key in groups:
            groups[key][0].append(item)
            groups[key][1].components.append(component)
        else:
            groups[key] = ([item], draft)
    return groups


def _subject(doc: Mapping[str, Any]) -> str:
    name = doc.get("name")
    component = doc.get("component")
    if isinstance(component, Mapping) and isinstance(component.get("kind"), str):
        return f"component {component['kind'][:80]}"
    if isinstance(name, str):
        return f"model {name[:80]!r}"
    return ""


def _model_name(doc: Mapping[str, Any]) -> str | None:
    """The model an item names (its own name, or a component's model block), if any."""
    for holder in (doc.get("model"), doc.get("modelReference")):
        if "component" in doc and isinstance(holder, Mapping):
            name = holder.get("name")
            return name if isinstance(name, str) else None
    name = doc.get("name")
    return name if isinstance(name, str) and "component" not in doc else None
