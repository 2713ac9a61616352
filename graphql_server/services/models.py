"""Importing model and component definitions into the registry, durably.

Owns the order: load and validate every item, plan how the accepted ones merge into
the stored imported models (``registry.importing``), persist every model that changes
in one transaction (what the registry shows must survive a restart), then apply them
to the in-memory registry in one revision. Imports into one registry run one at a
time, so two imports of one model's files never lose each other's components.
Knows nothing of how the result is shown.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql_server.errors import BadInput
from graphql_server.registry import Registry, Source
from graphql_server.registry.documents import model_document
from graphql_server.registry.importing import ImportPlan, plan_import
from graphql_server.registry.loading import load_items
from graphql_server.services.transactions import transaction
from graphql_server.store import Store

log = logging.getLogger(__name__)

ORIGIN = "importModels"
SHOWN_REJECTIONS = 5

_locks: weakref.WeakKeyDictionary[Registry, asyncio.Lock] = weakref.WeakKeyDictionary()


async def load_registry(store: Store) -> Registry:
    """Built-in models plus every model imported before, as it was stored."""
    registry = Registry.with_builtins()
    documents = await store.registry.documents()
    if documents:
        result = registry.load_many(documents, source=Source.IMPORTED)
        for rejection in result.rejected:
            log.warning("a stored model no longer loads: %s", rejection.message)
    return registry


@dataclass(frozen=True, slots=True)
class ModelImport:
    """What an import did, per item and per model, and the registry revision afterwards."""

    plan: ImportPlan
    revision: int


async def import_models(
    store: Store,
    registry: Registry,
    definitions: object,
    *,
    replace: bool = False,
    origin: str = ORIGIN,
) -> ModelImport:
    """Import one document (an object or an array); nothing imported at all is ``BadInput``."""
    done = await import_documents(store, registry, [(origin, definitions)], replace=replace)
    if done.plan.rejected and not done.plan.accepted:
        raise nothing_imported(done.plan)
    return done


async def import_documents(
    store: Store,
    registry: Registry,
    documents: Iterable[tuple[str, Any]],
    *,
    replace: bool = False,
) -> ModelImport:
    """Import named documents (e.g. the files of a Meshery model tree) as one import."""
    loaded = load_items(documents, source=Source.IMPORTED)
    lock = _locks.setdefault(registry, asyncio.Lock())
    async with lock:

        def stored(name: str, version: str) -> Any:
            return registry.model(name, version, Source.IMPORTED)

        plan = plan_import(stored, loaded, replace_components=replace)
        if plan.models:
            async with transaction(store):
                for model in plan.models:
                    await store.registry.save(
                        model.name, model.version, model_document(model), ORIGIN
                    )
            registry.add(plan.models)
    return ModelImport(plan, registry.revision)


def nothing_imported(plan: ImportPlan) -> BadInput:
    rejected = plan.rejected
    shown = "; ".join(r.message for r in rejected[:SHOWN_REJECTIONS])
    more = len(rejected) - SHOWN_REJECTIONS
    if more > 0:
        shown += f"; and {more} more"
    return BadInput(
        f"nothing was imported: {len(rejected)} item(s) rejected: {shown}",
        rejections=[r.message for r in rejected],
    )
