"""Keeping generated components of CRD kinds in step with the stored CRDs.

A kind no model defines gets a generated component; when the kind comes from a
CustomResourceDefinition, that component carries the CRD's OpenAPI schema and printer
columns. The stored CRD objects are read once on start, then each CRD event on the
broker updates only the kinds of that CRD (cost follows the change); a subscriber that
missed events reads the stored CRDs again. A kind served by several clusters' CRDs
shows the one noted last while any of them remains. Generated components never move
the registry's revision (only its epoch), so following CRDs is no definitions change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from graphql_server.broker import Broker, Subscription
from graphql_server.errors import GraphQLServerError
from graphql_server.events import RESOURCES_TOPIC, Missed, ResourceEvent, ResourceEventType
from graphql_server.registry import Registry
from graphql_server.registry.crds import CRD_API_VERSION, CRD_KIND, ServedKind, served_kinds
from graphql_server.store import Store
from graphql_server.store.resources import ResourceQuery

log = logging.getLogger(__name__)

MAX_CRDS = 20_000
CrdId = tuple[str, str]  # (cluster id, uid)


class CrdComponents:
    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry
        self._kinds: dict[CrdId, list[ServedKind]] = {}

    async def load(self) -> int:
        """Note every stored CRD again; returns how many were read."""
        query = ResourceQuery(kinds=(CRD_KIND,), api_versions=(CRD_API_VERSION,))
        rows = await self.store.resources.select(query, limit=MAX_CRDS)
        seen = {(row["cluster_id"], row["uid"]) for row in rows}
        for crd in [crd for crd in self._kinds if crd not in seen]:
            self._note(crd, None)
        for row in rows:
            self._note((row["cluster_id"], row["uid"]), row.get("spec"))
        return len(rows)

    def note(self, event: ResourceEvent) -> None:
        resource = event.resource
        if resource.get("kind") != CRD_KIND or resource.get("api_version") != CRD_API_VERSION:
            return
        deleted = event.type is ResourceEventType.DELETED
        self._note((event.cluster_id, event.uid), None if deleted else resource.get("spec"))

    async def follow(self, changes: Subscription) -> None:
        """Note the stored CRDs, then every CRD event of ``changes``."""
        await self._reload()
        async for message in changes:
            if isinstance(message, Missed):
                await self._reload()
            elif isinstance(message, ResourceEvent):
                self.note(message)

    async def _reload(self) -> None:
        try:
            await self.load()
        except GraphQLServerError as exc:
            log.warning("could not read the stored CRDs for generated components: %s", exc)

    def _note(self, crd: CrdId, spec: Mapping[str, Any] | None) -> None:
        old = self._kinds.pop(crd, [])
        new = served_kinds(spec) if spec is not None else []
        if new:
            self._kinds[crd] = new
        for kind in new:
            self._generate(kind)
        kept = {(k.api_version, k.kind) for k in new}
        for kind in old:
            key = (kind.api_version, kind.kind)
            if key in kept:
                continue
            other = self._provider(key)
            if other is None:
                self.registry.forget_served(*key)
            else:
                self._generate(other)

    def _provider(self, key: tuple[str, str]) -> ServedKind | None:
        for kinds in self._kinds.values():
            for kind in kinds:
                if (kind.api_version, kind.kind) == key:
                    return kind
        return None

    def _generate(self, kind: ServedKind) -> None:
        self.registry.generate_for(
            kind.api_version, kind.kind, kind.namespaced, kind.schema, kind.printer_columns
        )


@asynccontextmanager
async def following_crds(store: Store, registry: Registry, broker: Broker) -> AsyncIterator[None]:
    """Generated components follow the stored CRDs while the block runs. The broker
    subscription is taken before the block starts (one standing subscriber of the
    resources topic), so no event committed from then on is missed."""
    crds = CrdComponents(store, registry)
    changes = broker.subscribe(RESOURCES_TOPIC)
    task = asyncio.create_task(crds.follow(changes), name="registry-crds")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        changes.close()
