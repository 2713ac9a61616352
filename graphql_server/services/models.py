"""Importing model and component definitions into the registry, durably.

Owns the order: parse and validate the definitions, persist every accepted model in
one transaction (what the registry shows must survive a restart), then add them to the
in-memory registry. Knows nothing of how the result is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql_server.registry import LoadResult, Registry, Source, load
from graphql_server.registry.documents import model_document
from graphql_server.services.transactions import transaction
from graphql_server.store import Store

ORIGIN = "importModels"


@dataclass(frozen=True, slots=True)
class ModelImport:
    """What an import did: the loader's result, which of its models were already
    known (by name and version), and the registry revision afterwards."""

    result: LoadResult
    known: frozenset[tuple[str, str]]
    revision: int


async def import_models(store: Store, registry: Registry, definitions: object) -> ModelImport:
    """Load definitions (each item accepted or rejected whole), store and register them."""
    known = frozenset((m.name, m.version) for m in registry.models(source=Source.IMPORTED))
    result = load(definitions, origin=ORIGIN, source=Source.IMPORTED)
    async with transaction(store):
        for model in result.models:
            await store.registry.save(model.name, model.version, model_document(model), ORIGIN)
    if result.models:
        registry.add(result.models)
    return ModelImport(result, known, registry.revision)
