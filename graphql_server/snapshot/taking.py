"""Taking a snapshot: every object of every resource type of one cluster, as NDJSON.

Owns the one-shot inventory: discover the served types (the same include/exclude
rules as the sync), list each one page by page, a few types at a time, and write
one JSON object per line with the object's row (the sync's ``to_row``: secrets
keep their keys only, ``managedFields`` dropped) and the component the registry
resolves for its kind. No server, no database: the client, the registry and the
output stream are all it touches. Progress goes to a ``ProgressSink``; how it is
shown is ``snapshot.progress``'s business.

A list whose continue token expires mid-way restarts from the beginning, skipping
the objects already written, so each object appears once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

import orjson

from graphql_server.errors import KubernetesError, ResourceExpired
from graphql_server.kube.client import KubeClient, query
from graphql_server.kube.discovery import ResourceType, TypeFilter, discover, identify
from graphql_server.registry import Registry, ResolvedComponent
from graphql_server.store.resources import ResourceRow
from graphql_server.sync.rows import to_row

log = logging.getLogger(__name__)

RETRIES = 3


@dataclass(slots=True)
class TypeProgress:
    """How far the listing of one resource type got."""

    resource_type: ResourceType
    listed: int = 0
    expected: int | None = None  # listed + the server's remainingItemCount, when it tells
    pages: int = 0
    started: float | None = None
    finished: float | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return self.resource_type.name

    @property
    def done(self) -> bool:
        return self.finished is not None

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started


@dataclass(slots=True)
class SnapshotResult:
    cluster_id: str
    server: str
    types: list[TypeProgress] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def objects(self) -> int:
        return sum(t.listed for t in self.types)

    @property
    def failed(self) -> list[TypeProgress]:
        return [t for t in self.types if t.error is not None]


class ProgressSink(Protocol):
    def begin(self, cluster_id: str, server: str, types: list[TypeProgress]) -> None: ...

    def update(self, progress: TypeProgress) -> None: ...

    def end(self, result: SnapshotResult) -> None: ...


def component_document(resolved: ResolvedComponent) -> dict[str, Any]:
    component, model = resolved.component, resolved.model
    styles = component.styles
    return {
        "apiVersion": component.api_version,
        "kind": component.kind,
        "displayName": component.display_name,
        "generated": resolved.generated,
        "model": {
            "name": model.name,
            "version": model.version,
            "displayName": model.display_name,
            "category": model.category.name,
        },
        "styles": {
            "primaryColor": styles.primary_color,
            "secondaryColor": styles.secondary_color,
            "shape": styles.shape,
        },
    }


def record(row: ResourceRow, component: dict[str, Any]) -> dict[str, Any]:
    """The NDJSON object of one row."""
    return {
        "clusterId": row.cluster_id,
        "uid": row.uid,
        "resourceType": row.resource_type,
        "apiVersion": row.api_version,
        "group": row.group,
        "kind": row.kind,
        "namespace": row.namespace,
        "name": row.name,
        "resourceVersion": row.resource_version,
        "labels": row.labels,
        "annotations": row.annotations,
        "ownerReferences": row.owner_references,
        "spec": row.spec,
        "status": row.status,
        "extra": row.extra,
        "createdAt": row.created_at,
        "component": component,
    }


class Snapshot:
    """One snapshot of one cluster into one binary stream."""

    def __init__(
        self,
        client: KubeClient,
        output: IO[bytes],
        progress: ProgressSink,
        *,
        type_filter: TypeFilter | None = None,
        registry: Registry | None = None,
        concurrency: int = 4,
        page_size: int = 500,
        store_secret_values: bool = False,
    ) -> None:
        self.client = client
        self.output = output
        self.progress = progress
        self.type_filter = type_filter or TypeFilter()
        self.registry = registry or Registry.with_builtins()
        self.concurrency = max(1, concurrency)
        self.page_size = page_size
        self.store_secret_values = store_secret_values
        self._components: dict[tuple[str, str], dict[str, Any]] = {}

    async def take(self) -> SnapshotResult:
        started = time.monotonic()
        identity = await identify(self.client)
        logger = logging.LoggerAdapter(log, {"cluster_id": identity.uid})
        types = await discover(self.client, self.type_filter, logger=logger)
        result = SnapshotResult(identity.uid, self.client.server)
        result.types = [TypeProgress(t) for t in types]
        self.progress.begin(identity.uid, self.client.server, result.types)
        slots = asyncio.Semaphore(self.concurrency)

        async def one(progress: TypeProgress) -> None:
            async with slots:
                await self._list(identity.uid, progress, logger)

        await asyncio.gather(*(one(p) for p in result.types))
        self.output.flush()
        result.seconds = time.monotonic() - started
        self.progress.end(result)
        return result

    def _component(self, rtype: ResourceType, api_version: str, kind: str) -> dict[str, Any]:
        key = (api_version, kind)
        found = self._components.get(key)
        if found is None:
            resolved = self.registry.resolve_or_generate(api_version, kind, rtype.namespaced)
            found = self._components[key] = component_document(resolved)
        return found

    async def _list(
        self,
        cluster_id: str,
        progress: TypeProgress,
        logger: logging.LoggerAdapter[logging.Logger],
    ) -> None:
        rtype = progress.resource_type
        progress.started = time.monotonic()
        self.progress.update(progress)
        written: set[str] = set()
        token: str | None = None
        failures = 0
        while True:
            params = query({"limit": self.page_size, "continue": token})
            try:
                document = await self.client.get(rtype.collection_path(), params)
            except ResourceExpired:
                if token is None:
                    progress.error = "the list expired"
                    break
                logger.info("%s: continue token expired, listing again", rtype.name)
                token = None
                continue
            except KubernetesError as exc:
                failures += 1
                if exc.status in (401, 403, 404) or failures >= RETRIES:
                    progress.error = exc.message
                    logger.warning("%s: cannot list: %s", rtype.name, exc.message)
                    break
                await asyncio.sleep(0.5 * failures)
                continue
            self._write(cluster_id, rtype, document.get("items") or [], written)
            metadata = document.get("metadata") or {}
            token = metadata.get("continue") or None
            progress.listed = len(written)
            progress.pages += 1
            remaining = metadata.get("remainingItemCount")
            progress.expected = progress.listed + int(remaining) if remaining is not None else None
            if token is None:
                progress.expected = progress.listed
                break
            self.progress.update(progress)
        progress.finished = time.monotonic()
        self.progress.update(progress)

    def _write(
        self, cluster_id: str, rtype: ResourceType, items: list[Any], written: set[str]
    ) -> None:
        lines = []
        for item in items:
            if not isinstance(item, dict):
                continue
            row = to_row(cluster_id, rtype, item, store_secret_values=self.store_secret_values)
            if row is None or row.uid in written:
                continue
            written.add(row.uid)
            component = self._component(rtype, row.api_version, row.kind)
            lines.append(orjson.dumps(record(row, component)))
        if lines:
            self.output.write(b"\n".join(lines) + b"\n")
