"""The sync of one cluster: one reflector per resource type, started and stopped as
CustomResourceDefinitions come and go."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from graphql_server.errors import GraphQLServerError
from graphql_server.kube.client import KubeClient
from graphql_server.kube.discovery import CRD_TYPE, ResourceType, TypeFilter, discover
from graphql_server.kube.watching import Reflector, WatchOptions
from graphql_server.retrying import Backoff
from graphql_server.store.resources import ResourceRow
from graphql_server.sync.rows import to_row
from graphql_server.sync.sinks import OperationSink, ProgressSink
from graphql_server.sync.writer import Checkpoint, Delete, Reset, Sweep, Upsert
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

REDISCOVERY_DELAYS = (0.2, 1.0, 2.0, 5.0)
RELIST_BACKOFF = (1.0, 300.0)  # seconds before relisting a type whose rows were refused


@dataclass(frozen=True, slots=True)
class SyncOptions:
    type_filter: TypeFilter
    watch: WatchOptions
    store_secret_values: bool = False


class TypeSink:
    """Feeds one resource type's reflector into the writer and the tracker."""

    def __init__(self, sync: ClusterSync, resource_type: ResourceType) -> None:
        self.sync = sync
        self.type = resource_type
        self.cluster_id = sync.cluster_id

    async def listed(self, objects: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC)  # one instant for the page
        rows = [row for obj in objects if (row := self.sync.row(self.type, obj, now)) is not None]
        if rows:
            await self.sync.writer.put(Upsert(self.type, rows))

    async def list_complete(self, uids: set[str], resource_version: str) -> None:
        settled = asyncio.get_running_loop().create_future()
        await self.sync.writer.put(
            Sweep(self.cluster_id, self.type, uids, resource_version, settled=settled)
        )
        # The type is not SYNCED until its rows are stored; the watch that follows
        # starts from the list's resourceVersion, so nothing is missed meanwhile.
        await settled
        self.sync.listed(self.type.name)
        if self.type.name == CRD_TYPE:
            self.sync.schedule_rediscovery()

    def regressed(self, reason: str) -> None:
        self.sync.regressed(reason)

    async def changed(self, event_type: str, obj: dict[str, Any]) -> None:
        metadata = obj.get("metadata") or {}
        version = metadata.get("resourceVersion")
        if event_type == "DELETED":
            uid = metadata.get("uid")
            if uid:
                await self.sync.writer.put(Delete(self.cluster_id, self.type, str(uid), version))
        else:
            row = self.sync.row(self.type, obj)
            if row is not None:
                await self.sync.writer.put(Upsert(self.type, [row], version))
        if self.type.name == CRD_TYPE and event_type in ("ADDED", "DELETED"):
            # MODIFIED churn on CRDs (caBundle rewrites) changes nothing served.
            self.sync.schedule_rediscovery()

    async def bookmark(self, resource_version: str) -> None:
        await self.sync.writer.put(Checkpoint(self.cluster_id, self.type, resource_version))

    def report(self, phase: str, error: str | None = None, reason: str | None = None) -> None:
        self.sync.tracker.report(self.cluster_id, self.type.name, phase, error)


class WatchedCluster(Protocol):
    """A cluster's sync as the supervisor handles it (``ClusterSync``, or a leased one)."""

    @property
    def reflectors(self) -> dict[str, tuple[Reflector, asyncio.Task[None]]]: ...

    async def start(self) -> None: ...

    async def resync(self) -> None: ...

    def relist_later(self, type_name: str) -> None: ...

    def relisted(self, type_name: str) -> None: ...

    async def stop(self) -> None: ...


class ClusterSync:
    def __init__(
        self,
        cluster_id: str,
        client: KubeClient,
        writer: OperationSink,
        tracker: ProgressSink,
        options: SyncOptions,
        resume: dict[str, str] | None = None,
        counts: dict[str, int] | None = None,
        restarts: TaskRestarts | None = None,
    ) -> None:
        self.cluster_id = cluster_id
        self.client = client
        self.writer = writer
        self.tracker = tracker
        self.options = options
        self.resume = dict(resume or {})  # type -> resourceVersion to resume from
        self.counts = dict(counts or {})  # type -> objects stored
        self.tasks = TaskOwner(f"cluster:{cluster_id[:8]}", restarts)
        self.reflectors: dict[str, tuple[Reflector, asyncio.Task[None]]] = {}
        self._rediscovery: asyncio.Task[None] | None = None
        self._rediscover_again = False
        self._relists: dict[str, Backoff] = {}  # types relisted because rows were refused
        self._relisting: dict[str, asyncio.Task[None]] = {}
        self._regression: str | None = None  # why every type is being relisted
        self._relisting_all: set[str] = set()
        self.log = logging.LoggerAdapter(log, {"cluster_id": cluster_id})

    def row(
        self, resource_type: ResourceType, obj: dict[str, Any], now: datetime | None = None
    ) -> ResourceRow | None:
        return to_row(
            self.cluster_id,
            resource_type,
            obj,
            store_secret_values=self.options.store_secret_values,
            now=now,
        )

    async def start(self) -> None:
        types = await discover(self.client, self.options.type_filter, logger=self.log)
        for resource_type in types:
            self._start_type(resource_type, self.resume.get(resource_type.name))
        # Types that were synced before but are no longer served (a CRD deleted
        # while we were away): their rows go.
        for name in (set(self.resume) | set(self.counts)) - {t.name for t in types}:
            await self._retire(name, None)

    def _start_type(
        self, resource_type: ResourceType, resume_version: str | None, reason: str = "initial"
    ) -> None:
        self.tracker.track(self.cluster_id, resource_type, self.counts.get(resource_type.name, 0))
        reflector = Reflector(
            self.client,
            resource_type,
            TypeSink(self, resource_type),
            self.options.watch,
            resume_version=resume_version,
            relist_reason=reason,
            log_context={"cluster_id": self.cluster_id},
        )
        task = self.tasks.keep(f"watch:{resource_type.name}", reflector.run)
        self.reflectors[resource_type.name] = (reflector, task)

    async def _retire(self, name: str, resource_type: ResourceType | None) -> None:
        entry = self.reflectors.pop(name, None)
        if entry is not None:
            reflector, task = entry
            resource_type = reflector.type
            await self.tasks.cancel(task)
        if resource_type is None:
            resource_type = ResourceType(
                group="", version="", kind="", plural=name, namespaced=True
            )
        await self.writer.put(Sweep(self.cluster_id, resource_type, set()))
        self.tracker.forget(self.cluster_id, name)
        self.log.info("cluster %s: stopped watching %s", self.cluster_id, name)

    def schedule_rediscovery(self) -> None:
        if self._rediscovery is None or self._rediscovery.done():
            self._rediscovery = self.tasks.spawn("rediscovery", self._rediscover())
        else:
            self._rediscover_again = True

    async def _rediscover(self) -> None:
        """Diff what is served against what is watched, a few times: a new CRD's
        types are served a moment after the CRD itself appears."""
        self._rediscover_again = True
        while self._rediscover_again:
            self._rediscover_again = False
            await self._rediscover_once()

    async def _rediscover_once(self) -> None:
        for delay in REDISCOVERY_DELAYS:
            await asyncio.sleep(delay)
            try:
                types = await discover(self.client, self.options.type_filter, logger=self.log)
            except GraphQLServerError as exc:
                self.log.warning("cluster %s: rediscovery failed: %s", self.cluster_id, exc.message)
                continue
            served = {t.name: t for t in types}
            for name, resource_type in served.items():
                if name not in self.reflectors:
                    self.log.info("cluster %s: now watching %s", self.cluster_id, name)
                    self._start_type(resource_type, None)
            for name in set(self.reflectors) - set(served):
                await self._retire(name, None)

    async def resync(self) -> None:
        """Bring the store back to the cluster's truth, whatever it holds: forget the
        stored versions and tombstones of the cluster, then relist every type (each
        list replaces the type's rows, and sweeps what it does not hold)."""
        await self._relist_all("resync")

    async def _relist_all(self, reason: str) -> None:
        entries = list(self.reflectors.items())
        for _, (_, task) in entries:
            await self.tasks.cancel(task)
        self.reflectors.clear()
        await self.writer.put(Reset(self.cluster_id))  # after what the old loops queued
        self.resume.clear()
        self._relisting_all = {name for name, _ in entries}
        for _, (reflector, _) in entries:
            self._start_type(reflector.type, None, reason=reason)

    def regressed(self, reason: str) -> None:
        """The API server went back in time (restored, or restarted without its state):
        report it until every type has been listed again, and relist them all."""
        if self._regression is not None:
            return
        self._regression = f"resourceVersions went backwards ({reason}); relisting everything"
        self.log.warning("cluster %s: %s", self.cluster_id, self._regression)
        self.tracker.set_cluster_error(self.cluster_id, self._regression)
        self.tasks.spawn("repair", self._relist_all("regression"))

    def listed(self, type_name: str) -> None:
        """A type's list completed: once all are relisted, a regression is repaired."""
        self._relisting_all.discard(type_name)
        if self._regression is not None and not self._relisting_all:
            self.log.info("cluster %s: relisted after its versions went backwards", self.cluster_id)
            self._regression = None
            self.tracker.set_cluster_error(self.cluster_id, None)

    def relist_later(self, type_name: str) -> None:
        """List the type again after a backoff delay (the database refused a row of it:
        the relist retries it). Repeated refusals wait longer, up to a few minutes."""
        pending = self._relisting.get(type_name)
        if pending is not None and not pending.done():
            return
        backoff = self._relists.setdefault(type_name, Backoff(*RELIST_BACKOFF))
        delay = backoff.next_delay()
        self._relisting[type_name] = self.tasks.spawn(
            f"relist:{type_name}", self._relist(type_name, delay)
        )

    def relisted(self, type_name: str) -> None:
        """Every refused row of the type has landed: the next refusal starts afresh."""
        self._relists.pop(type_name, None)

    async def _relist(self, type_name: str, delay: float) -> None:
        await asyncio.sleep(delay)  # lets the delay pass on purpose: a backoff
        entry = self.reflectors.pop(type_name, None)
        if entry is None:
            return
        reflector, task = entry
        await self.tasks.cancel(task)
        self.log.info("cluster %s: relisting %s (rows refused)", self.cluster_id, type_name)
        self._start_type(reflector.type, None, reason="refused")

    async def pause(self) -> None:
        """Stop every watch (and a pending rediscovery), keeping the client open."""
        for _, task in list(self.reflectors.values()):
            await self.tasks.cancel(task)
        self.reflectors.clear()
        if self._rediscovery is not None:
            await self.tasks.cancel(self._rediscovery)
            self._rediscovery = None

    async def stop(self) -> None:
        await self.tasks.close()
        self.reflectors.clear()
        self.tracker.stopped(self.cluster_id)
        await self.client.close()
