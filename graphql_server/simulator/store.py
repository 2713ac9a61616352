"""Stored objects, indexed per resource type and namespace.

Owns :class:`Entry` (one version of one object: its dict, its JSON bytes serialised once,
its resourceVersion) and :class:`ResourceStore` (the objects of one resource, by
namespace then name, with cached sort orders). Entries are immutable once stored: an
update replaces the entry, so lists, snapshots and watch events can share them freely.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.conversion import rewrite


class Entry:
    """One stored version of an object, kept as its JSON bytes.

    Only what filtering and indexing need is kept decoded (name, namespace, labels, uid,
    owner uids); :attr:`obj` decodes a fresh, caller-owned copy on each access, which
    keeps a large cluster cheap in memory and invisible to the garbage collector.
    """

    __slots__ = ("labels", "name", "namespace", "owners", "raw", "rv", "uid")

    def __init__(self, obj: dict[str, Any], rv: int, raw: bytes | None = None) -> None:
        meta = obj["metadata"]
        self.rv = rv
        self.name: str = meta["name"]
        self.namespace: str = meta.get("namespace", "")
        self.uid: str = meta.get("uid", "")
        self.labels: dict[str, str] | None = meta.get("labels") or None
        refs = meta.get("ownerReferences")
        self.owners: tuple[str, ...] = (
            tuple(r["uid"] for r in refs if isinstance(r, dict) and isinstance(r.get("uid"), str))
            if refs
            else ()
        )
        self.raw = raw if raw is not None else orjson.dumps(obj)

    @property
    def obj(self) -> dict[str, Any]:
        """A fresh decoded copy; mutate it freely."""
        obj: dict[str, Any] = orjson.loads(self.raw)
        return obj

    def sort_key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def raw_as(self, api_version: str, stored_api_version: str) -> bytes:
        """The JSON bytes as served at another ``apiVersion`` (converted if need be)."""
        return rewrite(self.raw, stored_api_version, api_version)


def entry_key(entry: Entry) -> tuple[str, str]:
    return (entry.namespace, entry.name)


class ResourceStore:
    """The objects of one resource (all served versions share it)."""

    __slots__ = ("_sorted_names", "_sorted_namespaces", "by_namespace", "count", "rtype")

    def __init__(self, rtype: ResourceType) -> None:
        self.rtype = rtype
        self.by_namespace: dict[str, dict[str, Entry]] = {}
        self.count = 0
        self._sorted_names: dict[str, list[str]] = {}
        self._sorted_namespaces: list[str] | None = None

    def get(self, namespace: str, name: str) -> Entry | None:
        bucket = self.by_namespace.get(namespace)
        return None if bucket is None else bucket.get(name)

    def put(self, entry: Entry) -> Entry | None:
        """Store ``entry``; returns the version it replaced, if any."""
        bucket = self.by_namespace.get(entry.namespace)
        if bucket is None:
            bucket = self.by_namespace[entry.namespace] = {}
            self._sorted_namespaces = None
        previous = bucket.get(entry.name)
        bucket[entry.name] = entry
        if previous is None:
            self.count += 1
            self._sorted_names.pop(entry.namespace, None)
        return previous

    def remove(self, namespace: str, name: str) -> Entry | None:
        bucket = self.by_namespace.get(namespace)
        if bucket is None:
            return None
        previous = bucket.pop(name, None)
        if previous is not None:
            self.count -= 1
            self._sorted_names.pop(namespace, None)
            if not bucket:
                del self.by_namespace[namespace]
                self._sorted_namespaces = None
        return previous

    def _names(self, namespace: str) -> list[str]:
        names = self._sorted_names.get(namespace)
        if names is None:
            names = self._sorted_names[namespace] = sorted(self.by_namespace[namespace])
        return names

    def sorted_entries(self, namespace: str | None = None) -> list[Entry]:
        """Entries in key order (namespace, then name); one namespace or all."""
        if namespace is not None:
            bucket = self.by_namespace.get(namespace)
            if not bucket:
                return []
            return [bucket[name] for name in self._names(namespace)]
        if self._sorted_namespaces is None:
            self._sorted_namespaces = sorted(self.by_namespace)
        result: list[Entry] = []
        for ns in self._sorted_namespaces:
            bucket = self.by_namespace[ns]
            result.extend([bucket[name] for name in self._names(ns)])
        return result

    def iter_entries(self, namespace: str | None = None) -> Iterator[Entry]:
        """Entries in no particular order."""
        if namespace is not None:
            yield from self.by_namespace.get(namespace, {}).values()
            return
        for bucket in list(self.by_namespace.values()):
            yield from list(bucket.values())

    def namespace_count(self, namespace: str) -> int:
        return len(self.by_namespace.get(namespace, ()))
