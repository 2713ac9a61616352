"""Fingerprinting at query time: (apiVersion, kind) -> the component to show.

Nothing is copied into resource rows. Each lookup goes to the registry (an O(1)
index); the GraphQL objects built from the answer are memoised per registry
epoch, so an import or a new model changes what every resource shows at
once, with no restart and no stale cache.
"""

from __future__ import annotations

from graphql_server.api.registry.types import Component
from graphql_server.registry import Registry

MAX_MEMO = 20_000


class Fingerprints:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._epoch = -1
        self._memo: dict[tuple[str, str], Component] = {}

    def component(self, api_version: str, kind: str, namespaced: bool) -> Component:
        if self._epoch != self.registry.epoch or len(self._memo) > MAX_MEMO:
            self._memo.clear()
            self._epoch = self.registry.epoch
        key = (api_version, kind)
        found = self._memo.get(key)
        if found is None:
            resolved = self.registry.resolve_or_generate(api_version, kind, namespaced)
            found = Component.resolved(resolved)
            if self._epoch == self.registry.epoch:
                self._memo[key] = found
        return found

    def model_kinds(self, model_names: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
        """(apiVersion, kind) pairs whose winning component belongs to one of the models,
        and the groups whose undefined kinds fall to a generated model of that name."""
        names = set(model_names)
        pairs = {
            (entry.component.api_version, entry.component.kind)
            for entry in self.registry.entries(model_names=names, active_only=True)
        }
        return pairs, names
