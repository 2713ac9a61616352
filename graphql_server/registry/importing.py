"""Planning an import: how each accepted item merges into the stored imported models.

Meshery ships a model as ``model.json`` plus one file per component, so an import is
item by item, in document order: a component merges into its model by (model name,
version, kind); a model item sets the model's header (names, category, styles,
priority) and merges the components it carries; a component file whose model is not
stored yet creates it from the file's embedded model block, but never changes the
header of a stored model. With ``replace`` the stored components that no accepted item
of the import provides are removed, unless a rejected item may belong to that model:
a rejected item never removes or changes anything. The plan is the new state of every
model that changes and one report per item. Must not persist or touch a registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from graphql_server.registry.definitions import Component, ComponentKey, Model
from graphql_server.registry.loading import ItemsResult, LoadedItem, Rejection

StoredModel = Callable[[str, str], Model | None]
"""The stored imported model of (name, version), if any."""


class Outcome(StrEnum):
    ADDED = "ADDED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    REMOVED = "REMOVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ItemReport:
    """What one item did. A model item has no ``kind``; a REMOVED report names the
    removed component and the item of the import that replaced the model's set."""

    item: str
    outcome: Outcome
    subject: str = ""
    model_name: str | None = None
    model_version: str | None = None
    api_version: str | None = None
    kind: str | None = None
    path: str = ""
    reason: str = ""
    icon_bytes: int = 0

    @property
    def message(self) -> str:
        where = f"{self.item} ({self.subject})" if self.subject else self.item
        text = f"{where}: {self.outcome.value.lower()}"
        if self.path:
            text += f": {self.path}"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(frozen=True, slots=True)
class ImportPlan:
    added: tuple[Model, ...]
    updated: tuple[Model, ...]
    items: tuple[ItemReport, ...]

    @property
    def models(self) -> tuple[Model, ...]:
        """Every model whose stored state changes."""
        return self.added + self.updated

    @property
    def rejected(self) -> tuple[ItemReport, ...]:
        return tuple(r for r in self.items if r.outcome is Outcome.REJECTED)

    @property
    def accepted(self) -> int:
        """How many items were accepted (whatever they changed)."""
        return sum(r.outcome in _ITEM_OUTCOMES for r in self.items)


_ITEM_OUTCOMES = frozenset({Outcome.ADDED, Outcome.UPDATED, Outcome.UNCHANGED})

ModelId = tuple[str, str]


class _Plan:
    def __init__(self, stored: StoredModel) -> None:
        self.stored = stored
        self.original: dict[ModelId, Model | None] = {}
        self.working: dict[ModelId, Model] = {}
        self.provided: dict[ModelId, set[ComponentKey]] = {}
        self.first_item: dict[ModelId, str] = {}
        self.headed: set[ModelId] = set()
        """Models whose header an item of this import set."""

    def current(self, key: ModelId) -> Model | None:
        if key not in self.original:
            self.original[key] = self.stored(*key)
        return self.working.get(key, self.original[key])

    def take(self, loaded: LoadedItem) -> ItemReport:
        model = loaded.model
        key = (model.name, model.version)
        current = self.current(key)
        self.first_item.setdefault(key, loaded.item)
        self.provided.setdefault(key, set()).update(c.key for c in model.components)
        report = ItemReport(
            loaded.item, Outcome.ADDED, loaded.subject, *key, icon_bytes=_icon_bytes(loaded)
        )
        if loaded.component_file:
            component = model.components[0]
            report = replace(report, api_version=component.api_version, kind=component.kind)
            if current is None:
                self.working[key] = _sorted(model)
                return report
            old = current.component(component.api_version, component.kind)
            self.working[key] = _merged(current, current, (component,))
            return replace(report, outcome=_compare(old, component))
        first_header = key not in self.headed
        self.headed.add(key)
        if current is None:
            self.working[key] = _sorted(model)
            return report
        merged = _merged(model, current, model.components)
        self.working[key] = merged
        if first_header and self.original[key] is None:
            # Its component files came first and made it from their model blocks: the
            # model is still new to the store, and this file is what adds it.
            return report
        return replace(report, outcome=Outcome.UNCHANGED if merged == current else Outcome.UPDATED)

    def replace_components(self, rejected: tuple[Rejection, ...]) -> list[ItemReport]:
        blocked = {r.model_name for r in rejected}
        reports: list[ItemReport] = []
        for key, model in list(self.working.items()):
            item = self.first_item[key]
            if None in blocked or key[0] in blocked:
                reason = "replace skipped: an item that may belong to this model was rejected"
                reports.append(ItemReport(item, Outcome.UNCHANGED, "", *key, reason=reason))
                continue
            kept = tuple(c for c in model.components if c.key in self.provided[key])
            for gone in model.components:
                if gone.key not in self.provided[key]:
                    reports.append(
                        ItemReport(
                            item,
                            Outcome.REMOVED,
                            f"component {gone.kind}",
                            *key,
                            gone.api_version,
                            gone.kind,
                            reason="not in this import, which replaces the model's components",
                        )
                    )
            self.working[key] = model.with_components(kept)
        return reports


def plan_import(
    stored: StoredModel, loaded: ItemsResult, *, replace_components: bool = False
) -> ImportPlan:
    plan = _Plan(stored)
    reports = [plan.take(item) for item in loaded.items]
    if replace_components:
        reports.extend(plan.replace_components(loaded.rejected))
    reports.extend(
        ItemReport(r.item, Outcome.REJECTED, r.subject, r.model_name, path=r.path, reason=r.reason)
        for r in loaded.rejected
    )
    added: list[Model] = []
    updated: list[Model] = []
    for key, model in plan.working.items():
        original = plan.original[key]
        if original is None:
            added.append(model)
        elif model != original:
            updated.append(model)
    return ImportPlan(tuple(added), tuple(updated), tuple(reports))


def _icon_bytes(loaded: LoadedItem) -> int:
    """The size of the (sanitised) icons the item brings: a component file's own, or a
    model item's and those of the components it carries."""
    holders = [c.styles for c in loaded.model.components]
    if not loaded.component_file:
        holders.append(loaded.model.styles)
    return sum(len(s.svg_color.encode()) + len(s.svg_white.encode()) for s in holders)


def _compare(old: Component | None, new: Component) -> Outcome:
    if old is None:
        return Outcome.ADDED
    return Outcome.UNCHANGED if old == new else Outcome.UPDATED


def _sorted(model: Model) -> Model:
    return model.with_components(tuple(sorted(model.components, key=lambda c: c.key)))


def _merged(header: Model, current: Model, components: tuple[Component, ...]) -> Model:
    """``header``'s model fields with ``current``'s components, ``components`` merged in."""
    by_key = {c.key: c for c in current.components}
    by_key.update((c.key, c) for c in components)
    return header.with_components(tuple(by_key[k] for k in sorted(by_key)))
