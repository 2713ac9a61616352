"""Batched lookups for the resolvers of one operation (or one subscription event).

A ``Loaders`` object is created by a root resolver (or per subscription event)
and travels with the ``Resource`` objects it produces, so that every
``owners``/``children`` lookup below one root field is batched into one store
query per level, and nothing is cached beyond that operation: there is no
per-connection cache that could serve stale rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from graphql_server.api.registry.fingerprints import Fingerprints
from graphql_server.services.records import Store, StoredResource

MAX_BATCH = 500

ResourceKey = tuple[str, str]  # (cluster id, uid)
OwnerKey = tuple[str, str, str]  # (cluster id, owner namespace, owner uid)


class Loaders:
    """Per-operation data loaders over the store; created lazily, on first use."""

    def __init__(self, store: Store, fingerprints: Fingerprints) -> None:
        self.store = store
        self.fingerprints = fingerprints
        self._resources: DataLoader[ResourceKey, StoredResource | None] | None = None
        self._children: DataLoader[OwnerKey, list[StoredResource]] | None = None

    @property
    def resources(self) -> DataLoader[ResourceKey, StoredResource | None]:
        """Resources by (cluster id, uid); ``None`` for those the store does not hold."""
        if self._resources is None:
            self._resources = DataLoader(load_fn=self._load_resources, max_batch_size=MAX_BATCH)
        return self._resources

    @property
    def children(self) -> DataLoader[OwnerKey, list[StoredResource]]:
        """Dependents (by ownerReferences) of the owner (cluster id, namespace, uid)."""
        if self._children is None:
            self._children = DataLoader(load_fn=self._load_children, max_batch_size=MAX_BATCH)
        return self._children

    async def _load_resources(self, keys: Sequence[ResourceKey]) -> Sequence[StoredResource | None]:
        found = await self.store.resources.get_many(keys)
        return [found.get(key) for key in keys]

    async def _load_children(self, keys: Sequence[OwnerKey]) -> Sequence[list[StoredResource]]:
        found = await self.store.resources.children_of(keys)
        return [found.get((cluster_id, uid), []) for cluster_id, _, uid in keys]
