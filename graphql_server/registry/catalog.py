"""The in-memory registry: every model definition indexed by (apiVersion, kind).

Owns the index the hot path reads (``resolve`` is one dict lookup of a precomputed
``ResolvedComponent``), the mutations that rebuild exactly the affected keys (import,
replace, remove, generate), the ``revision`` that bumps once per effective change of
the defined (built-in or imported) models, and the ``epoch`` that also follows
generated components, for caches of resolutions.
Misses are never cached: a key no model defines is simply absent, so an import is
visible to the very next ``resolve``. Must not persist anything or import the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql_server.errors import BadInput, NotFound
from graphql_server.registry import generated
from graphql_server.registry.builtin import builtin_models
from graphql_server.registry.definitions import (
    Component,
    ComponentKey,
    Model,
    ModelKey,
    PrinterColumn,
    Source,
)
from graphql_server.registry.fields import IconSource
from graphql_server.registry.loading import LoadResult, load, load_many
from graphql_server.registry.resolution import ResolvedComponent, deciding_tier, rank


@dataclass(frozen=True, slots=True)
class ComponentEntry:
    """A component as listed: with its model, whether it is the winner of its key, and
    the resolution of that key (every candidate and why the winner won)."""

    model: Model
    component: Component
    active: bool
    resolved: ResolvedComponent


@dataclass(frozen=True, slots=True)
class _Served:
    namespaced: bool
    schema: str | None
    printer_columns: tuple[PrinterColumn, ...] = ()


class Registry:
    """Models by (source, name, version); components by (apiVersion, kind).

    Mutations are serialised by a lock; ``resolve`` takes no lock and always sees a
    complete ``ResolvedComponent`` for a key (each key's entry is replaced whole).
    """

    def __init__(self, models: Iterable[Model] = ()) -> None:
        self._lock = threading.RLock()
        self._models: dict[ModelKey, Model] = {}
        self._providers: dict[ComponentKey, dict[ModelKey, Component]] = {}
        self._resolved: dict[ComponentKey, ResolvedComponent] = {}
        self._served: dict[ComponentKey, _Served] = {}
        self._revision = 0
        self._epoch = 0
        self._apply(list(models), [])
        self._revision = 0

    @classmethod
    def with_builtins(cls) -> Registry:
        return cls(builtin_models())

    @property
    def revision(self) -> int:
        """Increases once per call that changes a built-in or imported model; generated
        components (made when a served kind is first read) leave it as it is."""
        return self._revision

    @property
    def epoch(self) -> int:
        """Increases on every change of any resolution, generated components included."""
        return self._epoch

    # -- lookups ---------------------------------------------------------------

    def resolve(self, api_version: str, kind: str) -> ResolvedComponent | None:
        return self._resolved.get(ComponentKey(api_version, kind))

    def resolve_or_generate(
        self,
        api_version: str,
        kind: str,
        namespaced: bool = True,
        schema: Mapping[str, Any] | str | None = None,
    ) -> ResolvedComponent:
        found = self._resolved.get(ComponentKey(api_version, kind))
        if found is not None:
            return found
        return self.generate_for(api_version, kind, namespaced, schema)

    def keys(self) -> list[ComponentKey]:
        return sorted(self._resolved)

    def __len__(self) -> int:
        return len(self._resolved)

    def __contains__(self, key: object) -> bool:
        return key in self._resolved

    def models(self, *, source: Source | None = None, names: Iterable[str] = ()) -> list[Model]:
        wanted = set(names)
        return sorted(
            (
                model
                for model in list(self._models.values())
                if (source is None or model.source is source)
                and (not wanted or model.name in wanted)
            ),
            key=lambda m: (m.name, m.version, -m.source.rank),
        )

    def model(
        self, name: str, version: str | None = None, source: Source | None = None
    ) -> Model | None:
        """The matching model that would win the precedence rule, if any."""
        matches = [
            m
            for m in list(self._models.values())
            if m.name == name
            and (version is None or m.version == version)
            and (source is None or m.source is source)
        ]
        if not matches:
            return None
        best = matches[0]
        for model in matches[1:]:
            decided = deciding_tier(model, best)
            if decided is not None and decided[1] < 0:
                best = model
        return best

    def entries(
        self,
        *,
        text: str | None = None,
        model_names: Iterable[str] = (),
        api_version: str | None = None,
        kind: str | None = None,
        source: Source | None = None,
        active_only: bool = False,
    ) -> list[ComponentEntry]:
        """Components matching every given filter; ``text`` searches kind and display name."""
        needle = text.casefold().strip() if text else ""
        names = set(model_names)
        found: list[ComponentEntry] = []
        for key, resolved in list(self._resolved.items()):
            if (api_version is not None and key.api_version != api_version) or (
                kind is not None and key.kind != kind
            ):
                continue
            for candidate in resolved.candidates:
                model, component = candidate.model, candidate.component
                if active_only and not candidate.won:
                    continue
                if (names and model.name not in names) or (
                    source is not None and model.source is not source
                ):
                    continue
                if (
                    needle
                    and needle not in component.kind.casefold()
                    and needle not in component.display_name.casefold()
                ):
                    continue
                found.append(ComponentEntry(model, component, candidate.won, resolved))
        found.sort(
            key=lambda e: (e.component.kind.casefold(), e.component.api_version, not e.active)
        )
        return found

    # -- mutations -------------------------------------------------------------

    def add(self, models: Model | Iterable[Model]) -> int:
        """Add models, replacing any with the same (source, name, version); returns the revision."""
        batch = [models] if isinstance(models, Model) else list(models)
        with self._lock:
            self._apply(batch, [])
            return self._revision

    def load(
        self,
        data: bytes | str | Any,
        *,
        origin: str = "input",
        source: Source = Source.IMPORTED,
        icons: IconSource | None = None,
    ) -> LoadResult:
        """Load a document and add what was accepted, in one revision."""
        result = load(data, origin=origin, source=source, icons=icons)
        if result.models:
            self.add(result.models)
        return result

    def load_many(
        self,
        documents: Iterable[tuple[str, bytes | str | Any]],
        *,
        source: Source = Source.IMPORTED,
    ) -> LoadResult:
        result = load_many(documents, source=source)
        if result.models:
            self.add(result.models)
        return result

    def remove(
        self, name: str, version: str | None = None, *, source: Source = Source.IMPORTED
    ) -> tuple[Model, ...]:
        """Remove models of that name (and version); kinds left undefined but still served fall
        back to generated components. Raises ``NotFound`` if nothing matches."""
        with self._lock:
            doomed = [
                key
                for key in self._models
                if key.source is source
                and key.name == name
                and (version is None or key.version == version)
            ]
            if not doomed:
                shown = f"{name} {version}" if version else name
                raise NotFound(
                    f"no {source.value.lower()} model {shown}", name=name, version=version
                )
            removed = tuple(self._models[key] for key in doomed)
            if source is Source.GENERATED:
                for model in removed:
                    for component in model.components:
                        self._served.pop(component.key, None)
            fallbacks = self._fallbacks_after_removing(set(doomed))
            self._apply(fallbacks, doomed)
            return removed

    def generate_for(
        self,
        api_version: str,
        kind: str,
        namespaced: bool = True,
        schema: Mapping[str, Any] | str | None = None,
        printer_columns: tuple[PrinterColumn, ...] = (),
    ) -> ResolvedComponent:
        """Note a served kind; give it a generated component unless a model defines it.

        Returns the current resolution (which may be a defined, non-generated component).
        A later change of namespacing, schema or printer columns updates the generated
        component.
        """
        generated.validate_kind(api_version, kind)
        if not isinstance(namespaced, bool):
            raise BadInput("namespaced must be a boolean", field="namespaced")
        text = generated.schema_text(schema)
        key = ComponentKey(api_version, kind)
        with self._lock:
            self._served[key] = _Served(namespaced, text, printer_columns)
            current = self._resolved.get(key)
            has_generated = current is not None and any(
                c.model.source is Source.GENERATED for c in current.candidates
            )
            if current is not None and not has_generated:
                return current
            component = generated.generated_component(
                api_version, kind, namespaced, text, printer_columns
            )
            existing = self._generated_model(api_version)
            unchanged = existing is not None and existing.component(api_version, kind) == component
            if current is not None and unchanged:
                return current
            self._apply([generated.with_component(existing, component)], [])
            return self._resolved[key]

    def forget_served(self, api_version: str, kind: str) -> bool:
        """The cluster no longer serves the kind: drop its generated component, if any."""
        key = ComponentKey(api_version, kind)
        with self._lock:
            self._served.pop(key, None)
            existing = self._generated_model(api_version)
            if existing is None or existing.component(api_version, kind) is None:
                return False
            remaining = generated.without_component(existing, api_version, kind)
            if remaining is None:
                self._apply([], [existing.key])
            else:
                self._apply([remaining], [])
            return True

    # -- internals -------------------------------------------------------------

    def _generated_model(self, api_version: str) -> Model | None:
        name = generated.model_name_for(api_version)
        return self._models.get(ModelKey(Source.GENERATED, name, generated.GENERATED_VERSION))

    def _fallbacks_after_removing(self, doomed: set[ModelKey]) -> list[Model]:
        """Generated models covering served kinds that would be left with no provider."""
        updated: dict[str, Model] = {}
        for model_key in doomed:
            for component in self._models[model_key].components:
                key = component.key
                served = self._served.get(key)
                providers = self._providers.get(key, {})
                if served is None or any(mk not in doomed for mk in providers):
                    continue
                name = generated.model_name_for(key.api_version)
                base = updated.get(name) or self._generated_model(key.api_version)
                fallback = generated.generated_component(
                    key.api_version,
                    key.kind,
                    served.namespaced,
                    served.schema,
                    served.printer_columns,
                )
                updated[name] = generated.with_component(base, fallback)
        return list(updated.values())

    def _apply(self, added: list[Model], removed: list[ModelKey]) -> bool:
        affected: set[ComponentKey] = set()
        changed = defined = False
        for model_key in removed:
            old = self._models.pop(model_key, None)
            if old is not None:
                changed = True
                defined = defined or model_key.source is not Source.GENERATED
                affected.update(self._unlink(old))
        for model in added:
            old = self._models.get(model.key)
            if old == model:
                continue
            changed = True
            defined = defined or model.source is not Source.GENERATED
            if old is not None:
                affected.update(self._unlink(old))
            self._models[model.key] = model
            for component in model.components:
                self._providers.setdefault(component.key, {})[model.key] = component
                affected.add(component.key)
        for key in affected:
            providers = self._providers.get(key)
            if not providers:
                self._providers.pop(key, None)
                self._resolved.pop(key, None)
            else:
                pairs = [(self._models[mk], component) for mk, component in providers.items()]
                self._resolved[key] = rank(key, pairs)
        if changed:
            self._epoch += 1
        if defined:
            self._revision += 1
        return changed

    def _unlink(self, model: Model) -> list[ComponentKey]:
        keys = []
        for component in model.components:
            providers = self._providers.get(component.key)
            if providers is not None:
                providers.pop(model.key, None)
            keys.append(component.key)
        return keys
