"""The watch loop of one resource type: client-go's reflector semantics.

LIST (paginated; a 410 on a continue token restarts the list), then WATCH from
the list's resourceVersion with bookmarks; resume from the last version seen
(objects and bookmarks) after a timeout or a dropped connection; a client-side
idle timeout catches hung streams; 410 Gone, as HTTP status or ERROR event,
means relist. Failures back off with jitter and never end the loop; a second
attempt in a row that cannot reach the API server (a dropped connection alone is
routine) reports the type DEGRADED until a watch is answered again. A list or event
older than a version already seen, or a "too large resource version" answer, means
the API server went back in time: the sink is told (``regressed``) and the loop
relists. Objects are handed to a ``WatchSink`` as raw dicts; the loop itself stores
nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from graphql_server.errors import KubernetesError, ResourceExpired, ResourceVersionTooLarge
from graphql_server.kube.client import KubeClient, query, status_error
from graphql_server.kube.discovery import ResourceType
from graphql_server.retrying import Backoff

log = logging.getLogger(__name__)

UNREACHABLE_ATTEMPTS = 2


class WatchSink(Protocol):
    """Where one resource type's objects and progress go."""

    async def listed(self, objects: list[dict[str, Any]]) -> None:
        """A page of a (re)list."""

    async def list_complete(self, uids: set[str], resource_version: str) -> None:
        """The list is complete: everything not in ``uids`` is gone."""

    async def changed(self, event_type: str, obj: dict[str, Any]) -> None:
        """An ADDED, MODIFIED or DELETED watch event."""

    async def bookmark(self, resource_version: str) -> None:
        """The watch has seen everything up to ``resource_version``."""

    def regressed(self, reason: str) -> None:
        """The API server's resourceVersions went backwards (the loop relists by itself)."""

    def report(self, phase: str, error: str | None = None, reason: str | None = None) -> None:
        """Progress: phase SYNCING, SYNCED or DEGRADED, with the last error and why."""


@dataclass(frozen=True, slots=True)
class WatchOptions:
    page_size: int = 500
    watch_timeout: int = 300
    idle_timeout: float = 90.0
    backoff_initial: float = 0.8
    backoff_max: float = 30.0


class Reflector:
    """Keeps one resource type of one cluster flowing into a sink, forever."""

    def __init__(
        self,
        client: KubeClient,
        resource_type: ResourceType,
        sink: WatchSink,
        options: WatchOptions | None = None,
        resume_version: str | None = None,
        relist_reason: str = "initial",
        log_context: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.type = resource_type
        self.sink = sink
        self.options = options or WatchOptions()
        self.resource_version = resume_version or None
        self.relists = 0
        self.relist_reasons: Counter[str] = Counter()  # why each relist happened
        self.restarts: Counter[str] = Counter()
        self._relist_reason = relist_reason
        self._unreachable = 0  # attempts in a row that could not reach the API server
        # The newest resourceVersion this API server gave (numeric ones only).
        self._newest = int(resume_version) if resume_version and resume_version.isdigit() else None
        # Every line about this loop names its cluster (when given) and type.
        self.log = logging.LoggerAdapter(
            log, {**(log_context or {}), "resource_type": resource_type.name}
        )

    async def run(self) -> None:
        backoff = Backoff(self.options.backoff_initial, self.options.backoff_max)
        while True:
            try:
                if self.resource_version is None:
                    self.sink.report("SYNCING")
                    self.resource_version = await self.list()
                    self.relists += 1
                    self.relist_reasons[self._relist_reason] += 1
                    self.sink.report("SYNCED")
                progressed = await self.watch()
                self.restarts["ended"] += 1
                if progressed:
                    backoff.reset()
                else:
                    # A stream that ends without a single event must not spin.
                    await asyncio.sleep(backoff.next_delay())
            except (VersionRegression, ResourceVersionTooLarge) as exc:
                self.restarts["regression"] += 1
                message = exc.message if isinstance(exc, KubernetesError) else str(exc)
                self.log.warning("%s: resourceVersions went backwards: %s", self.type.name, message)
                self.resource_version = None
                self._newest = None
                self._relist_reason = "regression"
                self.sink.regressed(message)
                await asyncio.sleep(backoff.next_delay())
            except ResourceExpired:
                self.restarts["expired"] += 1
                self.log.info("%s: resource version expired, relisting", self.type.name)
                self.resource_version = None
                self._relist_reason = "expired"
                self.sink.report("SYNCING", reason="expired")
            except KubernetesError as exc:
                reason = _reason(exc)
                self.restarts[reason] += 1
                delay = min(
                    backoff.next_delay() * (4 if exc.status == 403 else 1), self.options.backoff_max
                )
                self._unreachable = self._unreachable + 1 if exc.status == 0 else 0
                if exc.status == 0 and self._unreachable < UNREACHABLE_ATTEMPTS:
                    # A dropped connection is routine: resume from the last version seen.
                    self.log.info("%s: %s; resuming in %.1fs", self.type.name, exc.message, delay)
                else:
                    self.sink.report("DEGRADED", exc.message, reason=reason)
                    self.log.warning(
                        "%s: %s; retrying in %.1fs", self.type.name, exc.message, delay
                    )
                await asyncio.sleep(delay)
            except TimeoutError:
                self.restarts["stalled"] += 1
                self.log.info("%s: watch idle too long, reconnecting", self.type.name)
                self.sink.report("SYNCED", reason="stalled")
                await asyncio.sleep(backoff.next_delay())

    def _check_order(self, version: str, what: str) -> None:
        """resourceVersions of one API server only grow: an older one than already seen
        means its state went back in time (restored from a backup, or restarted)."""
        if not version.isdigit():
            return
        if self._newest is not None and int(version) < self._newest:
            raise VersionRegression(
                f"{what} of {self.type.name} is at resourceVersion {version}, "
                f"older than {self._newest} seen before"
            )
        self._newest = int(version)

    async def list(self) -> str:
        """A complete, paginated list handed to the sink; returns its resourceVersion."""
        path = self.type.collection_path()
        uids: set[str] = set()
        token: str | None = None
        while True:
            params = query({"limit": self.options.page_size, "continue": token})
            try:
                document = await self.client.get(path, params)
            except ResourceExpired:
                if token is None:
                    raise
                self.log.info("%s: continue token expired, restarting the list", self.type.name)
                uids.clear()
                token = None
                continue
            items = document.get("items") or []
            for item in items:
                uid = (item.get("metadata") or {}).get("uid")
                if uid:
                    uids.add(uid)
            if items:
                await self.sink.listed(items)
            metadata = document.get("metadata") or {}
            token = metadata.get("continue") or None
            if token is None:
                version = str(metadata.get("resourceVersion") or "")
                self._check_order(version, "the list")
                await self.sink.list_complete(uids, version)
                return version

    async def watch(self) -> bool:
        """Watch from the current version until the stream ends; True if anything came."""
        params = query(
            {
                "watch": True,
                "allowWatchBookmarks": True,
                "resourceVersion": self.resource_version,
                "timeoutSeconds": self.options.watch_timeout + random.randint(0, 30),
            }
        )
        progressed = False
        path = self.type.collection_path()
        async with self.client.stream(
            path, params, idle_timeout=self.options.idle_timeout
        ) as lines:
            self._unreachable = 0
            self.sink.report("SYNCED")  # the API server answered: caught up from here
            async for line in lines:
                if await self._event(line):
                    progressed = True
        return progressed

    async def _event(self, line: bytes) -> bool:
        if not line.strip():
            return False
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            self.log.warning("%s: ignoring a watch line that is not JSON", self.type.name)
            return False
        if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
            self.log.warning("%s: ignoring a malformed watch event", self.type.name)
            return False
        event_type = event.get("type")
        obj: dict[str, Any] = event["object"]
        if event_type == "ERROR":
            code = int(obj.get("code") or 0)
            message = str(obj.get("message") or "watch error")
            raise status_error(code, message, str(obj.get("reason") or ""))
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if version:
            self._check_order(str(version), f"a {event_type} event")
        if event_type == "BOOKMARK":
            if version:
                self.resource_version = str(version)
                await self.sink.bookmark(self.resource_version)
            return True
        if event_type not in ("ADDED", "MODIFIED", "DELETED"):
            self.log.warning("%s: ignoring watch event of type %r", self.type.name, event_type)
            return False
        await self.sink.changed(event_type, obj)
        if version:
            self.resource_version = str(version)
        return True


class VersionRegression(Exception):
    """The API server answered with resourceVersions older than ones it gave before."""


def _reason(exc: KubernetesError) -> str:
    if exc.status == 403:
        return "forbidden"
    if exc.status == 0:
        return "unreachable"
    return f"http_{exc.status}"
