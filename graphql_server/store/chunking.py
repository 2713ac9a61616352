"""Batching of key lookups: group keys by their cluster, then cut each group into chunks.

Owns the one rule every multi-row statement on ``resources`` follows: a statement
names one group (a cluster, or a cluster and namespace) and at most
``LOOKUP_CHUNK`` uids, so parameter counts stay under both databases' limits.
Pure: it builds no SQL and touches no connection.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import TypeVar

LOOKUP_CHUNK = 500

GroupT = TypeVar("GroupT", bound=Hashable)


def grouped_chunks(
    keys: Iterable[tuple[GroupT, str]], size: int = LOOKUP_CHUNK
) -> Iterator[tuple[GroupT, list[str]]]:
    """``(group, uids)`` pairs: the uids of each group, in order, at most ``size`` at a time."""
    if size < 1:
        raise ValueError("chunk size must be positive")
    groups: dict[GroupT, list[str]] = {}
    for group, uid in keys:
        groups.setdefault(group, []).append(uid)
    for group, uids in groups.items():
        for start in range(0, len(uids), size):
            yield group, uids[start : start + size]
