"""Watch streams: per-connection watchers and the hub that fans events out to them.

Owns :class:`Watcher` (one open watch: its filters, its outgoing buffer, its bookmark and
timeout timers, and the loop that writes the buffer to the connection) and
:class:`WatchHub` (every open watcher by resource, plus the stall/drop/expire fault
switches). Dispatch is synchronous and happens inside the commit that made the event, so
a watcher never misses or reorders an event. It must not know about HTTP frameworks:
the writer loop takes a plain ``write`` coroutine function.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.conversion import rewrite
from graphql_server.simulator.history import (
    ADDED,
    DELETED,
    MODIFIED,
    WatchEvent,
    bookmark_line,
    event_line,
)
from graphql_server.simulator.selectors import FieldSelector, LabelSelector
from graphql_server.simulator.store import Entry

logger = logging.getLogger(__name__)

Write = Callable[[bytes], Awaitable[object]]


class Watcher:
    """One watch connection: filters events, buffers lines and writes them out."""

    def __init__(
        self,
        hub: WatchHub,
        rtype: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None,
        fields: FieldSelector | None,
        current_rv: Callable[[], int],
    ) -> None:
        self.hub = hub
        self.rtype = rtype
        self.key = rtype.key
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self._current_rv = current_rv
        self._rewrite = rtype.api_version != rtype.storage_api_version
        self._direct = labels is None and fields is None and not self._rewrite
        self.buffer: list[bytes] = []
        self.ended = False
        self.aborted = False
        self._wake = asyncio.Event()
        self._timeout_timer: asyncio.TimerHandle | None = None
        self._bookmark_timer: asyncio.TimerHandle | None = None
        self._bookmark_interval = 0.0
        self.on_abort: Callable[[], object] | None = None

    def _matches(self, entry: Entry) -> bool:
        if self.labels is not None and not self.labels.matches(entry.labels):
            return False
        return self.fields is None or self.fields.matches_entry(entry)

    def _raw(self, entry: Entry) -> bytes:
        if self._rewrite:
            return entry.raw_as(self.rtype.api_version, self.rtype.storage_api_version)
        return entry.raw

    def push(self, line: bytes) -> None:
        self.buffer.append(line)
        self._wake.set()

    def offer(self, event: WatchEvent) -> None:
        """Consider one committed event (called synchronously by the commit)."""
        if self.ended or (self.namespace is not None and event.namespace != self.namespace):
            return
        if self._direct:
            self.buffer.append(event.line())
            self._wake.set()
            return
        entry = event.entry
        now = self._matches(entry)
        if event.type == MODIFIED:
            before = event.prev is not None and self._matches(event.prev)
            if now and before:
                kind = MODIFIED
            elif now:
                kind = ADDED
            elif before:
                self.push(event_line(DELETED, self._deleted_raw(event)))
                return
            else:
                return
        elif now:
            kind = event.type
        else:
            return
        if kind == event.type and not self._rewrite:
            self.push(event.line())
        else:
            self.push(event_line(kind, self._raw(entry)))

    def _deleted_raw(self, event: WatchEvent) -> bytes:
        raw = event.deleted_prev_raw()
        if not self._rewrite:
            return raw
        return rewrite(raw, self.rtype.storage_api_version, self.rtype.api_version)

    def offer_initial(self, entry: Entry) -> None:
        """A synthetic ADDED for an object that exists when the watch starts."""
        if self._matches(entry):
            self.buffer.append(event_line(ADDED, self._raw(entry)))

    def bookmark(self, *, initial_events_end: bool = False) -> None:
        line = bookmark_line(self.rtype.api_version, self.rtype.kind, self._current_rv())
        if initial_events_end:
            marker = b'"metadata":{"annotations":{"k8s.io/initial-events-end":"true"},'
            line = line.replace(b'"metadata":{', marker, 1)
        self.push(line)

    def start_timers(self, timeout: float | None, bookmark_interval: float | None) -> None:
        loop = asyncio.get_running_loop()
        if timeout is not None:
            self._timeout_timer = loop.call_later(max(timeout, 0.0), self.end)
        if bookmark_interval is not None and bookmark_interval > 0:
            self._bookmark_interval = bookmark_interval
            self._bookmark_timer = loop.call_later(bookmark_interval, self._on_bookmark)

    def _on_bookmark(self) -> None:
        if self.ended or self.aborted:
            return
        if not self.hub.stalled:
            self.bookmark()
        loop = asyncio.get_running_loop()
        self._bookmark_timer = loop.call_later(self._bookmark_interval, self._on_bookmark)

    def end(self, last_line: bytes | None = None) -> None:
        """Finish the stream after what is buffered (and ``last_line``) is written."""
        if self.ended:
            return
        if last_line is not None:
            self.buffer.append(last_line)
        self.ended = True
        self._wake.set()

    def abort(self) -> None:
        """Close the connection at once, without flushing."""
        self.aborted = True
        self._wake.set()
        if self.on_abort is not None:
            self.on_abort()

    def wake(self) -> None:
        self._wake.set()

    async def pump(self, write: Write) -> None:
        """Write buffered lines until the stream ends, is aborted or the peer goes away."""
        hub = self.hub
        try:
            while not self.aborted:
                if hub.stalled:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if self.buffer:
                    lines, self.buffer = self.buffer, []
                    await write(lines[0] if len(lines) == 1 else b"".join(lines))
                    continue
                if self.ended:
                    return
                self._wake.clear()
                await self._wake.wait()
        except (ConnectionError, RuntimeError) as exc:
            logger.debug("watch on %s closed by the peer: %s", self.key, exc)
            self.aborted = True
        finally:
            self.close()

    def close(self) -> None:
        for timer in (self._timeout_timer, self._bookmark_timer):
            if timer is not None:
                timer.cancel()
        self._timeout_timer = self._bookmark_timer = None
        self.ended = True
        self.hub.unregister(self)


class WatchHub:
    """Every open watcher, by resource key, and the switches that fault them."""

    def __init__(self) -> None:
        self.by_key: dict[str, set[Watcher]] = {}
        self.stalled = False

    def register(self, watcher: Watcher) -> None:
        self.by_key.setdefault(watcher.key, set()).add(watcher)

    def unregister(self, watcher: Watcher) -> None:
        watchers = self.by_key.get(watcher.key)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self.by_key[watcher.key]

    def dispatch(self, event: WatchEvent) -> None:
        watchers = self.by_key.get(event.key)
        if watchers:
            for watcher in watchers:
                watcher.offer(event)

    def all(self) -> list[Watcher]:
        return [w for watchers in self.by_key.values() for w in watchers]

    def count(self) -> int:
        return sum(len(watchers) for watchers in self.by_key.values())

    def stall(self) -> None:
        self.stalled = True

    def unstall(self) -> None:
        self.stalled = False
        for watcher in self.all():
            watcher.wake()

    def drop_all(self) -> int:
        watchers = self.all()
        for watcher in watchers:
            watcher.abort()
        return len(watchers)

    def end_all(self, last_line: bytes | None = None) -> int:
        watchers = self.all()
        for watcher in watchers:
            watcher.end(last_line)
        return len(watchers)

    def end_key(self, key: str) -> None:
        for watcher in list(self.by_key.get(key, ())):
            watcher.end()
