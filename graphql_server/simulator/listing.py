"""Paginated lists: continue tokens, list snapshots and page selection.

Owns the ``continue`` token format (base64 of the list's resourceVersion and the last
key served), the cache of sorted snapshots that lets later pages of a list be served
from the same point in time, and the selection of one page under label and field
selectors. It does not know about HTTP or about how versions are compacted: callers pass
the history floor and turn errors into Status responses.
"""

from __future__ import annotations

import base64
import binascii
import bisect
from collections import OrderedDict
from dataclasses import dataclass

import orjson

from graphql_server.simulator.selectors import FieldSelector, LabelSelector
from graphql_server.simulator.status import bad_request, expired
from graphql_server.simulator.store import Entry, ResourceStore, entry_key

EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


def encode_continue(rv: int, namespace: str, name: str) -> str:
    doc = {"v": "meta.k8s.io/v1", "rv": rv, "start": f"{namespace}/{name}\x00"}
    return base64.urlsafe_b64encode(orjson.dumps(doc)).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    """The (resourceVersion, last key) a token carries; 400 when it is not one of ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        doc = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        rv = doc["rv"]
        start = doc["start"]
        if not isinstance(rv, int) or not isinstance(start, str) or not start.endswith("\x00"):
            raise ValueError(start)
        namespace, _, name = start[:-1].partition("/")
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise bad_request(f"continue key is not valid: {exc}") from exc
    return rv, (namespace, name)


@dataclass(slots=True)
class Page:
    entries: list[Entry]
    rv: int
    continue_token: str | None
    remaining: int | None


class SnapshotCache:
    """The sorted entries of recent paginated lists, by (resource, namespace, version)."""

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self._snapshots: OrderedDict[tuple[str, str | None, int], list[Entry]] = OrderedDict()

    def get(self, key: tuple[str, str | None, int]) -> list[Entry] | None:
        snapshot = self._snapshots.get(key)
        if snapshot is not None:
            self._snapshots.move_to_end(key)
        return snapshot

    def put(self, key: tuple[str, str | None, int], entries: list[Entry]) -> None:
        self._snapshots[key] = entries
        self._snapshots.move_to_end(key)
        while len(self._snapshots) > self.capacity:
            self._snapshots.popitem(last=False)

    def forget(self, resource: str) -> None:
        for key in [k for k in self._snapshots if k[0] == resource]:
            del self._snapshots[key]

    def clear(self) -> None:
        self._snapshots.clear()


def _matching(entry: Entry, labels: LabelSelector | None, fields: FieldSelector | None) -> bool:
    if labels is not None and not labels.matches(entry.labels):
        return False
    return fields is None or fields.matches_entry(entry)


def select_page(
    store: ResourceStore,
    namespace: str | None,
    labels: LabelSelector | None,
    fields: FieldSelector | None,
    limit: int | None,
    token: str | None,
    *,
    current_rv: int,
    floor: int,
    snapshots: SnapshotCache,
) -> Page:
    """One page of a list (the whole list when ``limit`` is None)."""
    start_after: tuple[str, str] | None = None
    rv = current_rv
    entries: list[Entry] | None = None
    if token:
        rv, start_after = decode_continue(token)
        if rv < floor:
            raise expired(EXPIRED_CONTINUE)
        entries = snapshots.get((store.rtype.key, namespace, rv))
    if entries is None:
        exact = fields.exact_name if fields is not None else None
        if exact is not None and namespace is not None:
            found = store.get(namespace, exact)
            entries = [found] if found is not None else []
        else:
            entries = store.sorted_entries(namespace)
    position = 0
    if start_after is not None:
        position = bisect.bisect_right(entries, start_after, key=entry_key)
    filtered = labels is not None or fields is not None
    if limit is None or limit <= 0:
        chosen = entries[position:]
        if filtered:
            chosen = [e for e in chosen if _matching(e, labels, fields)]
        return Page(chosen, rv, None, None)
    if filtered:
        chosen = []
        index = position
        total = len(entries)
        while index < total and len(chosen) < limit:
            entry = entries[index]
            index += 1
            if _matching(entry, labels, fields):
                chosen.append(entry)
        end = index
    else:
        end = min(position + limit, len(entries))
        chosen = entries[position:end]
    if end >= len(entries) or not chosen:
        return Page(chosen, rv, None, None)
    if token is None:
        snapshots.put((store.rtype.key, namespace, rv), entries)
    last = chosen[-1]
    remaining = None if filtered else len(entries) - end
    return Page(chosen, rv, encode_continue(rv, last.namespace, last.name), remaining)
