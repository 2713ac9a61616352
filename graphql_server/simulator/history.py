"""The cluster's bounded event history and the watch events it holds.

Owns :class:`WatchEvent` (one committed change with the object before and after, whose
wire lines are built once and shared by every watcher) and :class:`History` (a ring of
the latest events plus the *floor*: every event newer than the floor is retained, so a
watch may resume from any version at or above it and gets 410 below it).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson

from graphql_server.simulator.store import Entry

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"
BOOKMARK = "BOOKMARK"
ERROR = "ERROR"

_PREFIX = {
    kind: b'{"type":"' + kind.encode() + b'","object":' for kind in (ADDED, MODIFIED, DELETED)
}


def event_line(kind: str, raw: bytes) -> bytes:
    """One newline-delimited watch event around already serialised object bytes."""
    return _PREFIX[kind] + raw + b"}\n"


def error_line(status: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": ERROR, "object": status}) + b"\n"


def bookmark_line(api_version: str, kind: str, rv: int) -> bytes:
    obj = {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": str(rv)}}
    return orjson.dumps({"type": BOOKMARK, "object": obj}) + b"\n"


class WatchEvent:
    """A committed change of one object of resource ``key``."""

    __slots__ = ("_deleted_prev", "_line", "entry", "key", "namespace", "prev", "rv", "type")

    def __init__(self, kind: str, key: str, entry: Entry, prev: Entry | None) -> None:
        self.type = kind
        self.key = key
        self.entry = entry
        self.prev = prev
        self.rv = entry.rv
        self.namespace = entry.namespace
        self._line: bytes | None = None
        self._deleted_prev: bytes | None = None

    def line(self) -> bytes:
        line = self._line
        if line is None:
            line = self._line = event_line(self.type, self.entry.raw)
        return line

    def deleted_prev_raw(self) -> bytes:
        """The previous object at this event's version, for a watcher it stopped matching."""
        raw = self._deleted_prev
        if raw is None:
            assert self.prev is not None
            obj = self.prev.obj
            obj["metadata"]["resourceVersion"] = str(self.rv)
            raw = self._deleted_prev = orjson.dumps(obj)
        return raw


class History:
    """A ring of the newest ``capacity`` events and the version floor below it."""

    __slots__ = ("_events", "capacity", "floor")

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._events: deque[WatchEvent] = deque()
        self.floor = 0

    def __len__(self) -> int:
        return len(self._events)

    def append(self, event: WatchEvent) -> None:
        events = self._events
        if len(events) >= self.capacity:
            self.floor = events.popleft().rv
        events.append(event)

    def since(self, rv: int) -> list[WatchEvent]:
        """Events newer than ``rv``, oldest first (``rv`` must be at or above the floor)."""
        newer: list[WatchEvent] = []
        for event in reversed(self._events):
            if event.rv <= rv:
                break
            newer.append(event)
        newer.reverse()
        return newer

    def compact(self, rv: int) -> None:
        """Forget every event at or below ``rv``; resuming below it now gets 410."""
        events = self._events
        while events and events[0].rv <= rv:
            events.popleft()
        self.floor = max(self.floor, rv)
