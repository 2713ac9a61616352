"""What the sync tells about itself: running distributions and the stats snapshot.

Distributions (fixed buckets, a count and a sum) are recorded once per writer batch,
never per event. ``SyncStats`` is the frozen snapshot ``SyncService.stats()`` returns
and ``graphql_server.metrics`` reads at scrape time. Nothing here knows about any
metrics library or reads live sync state itself.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

BATCH_ROWS = (1.0, 5.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0)
BATCH_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(slots=True)
class Distribution:
    """Observations counted into buckets by upper bound (a value equal to a bound is in it)."""

    bounds: tuple[float, ...]
    counts: list[int] = field(init=False)
    count: int = 0
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.total += value

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations at or below it), ending with +Inf."""
        running = 0
        found = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            found.append((bound, running))
        return found

    def snapshot(self) -> Histogram:
        return Histogram(self.bounds, tuple(self.cumulative()), self.total)


@dataclass(frozen=True, slots=True)
class Histogram:
    """A distribution as it was when read: cumulative counts ending with +Inf."""

    bounds: tuple[float, ...]
    cumulative: tuple[tuple[float, int], ...]
    total: float


@dataclass(frozen=True, slots=True)
class KindStats:
    """One resource type of one cluster, as the status tracker knows it."""

    cluster_id: str
    resource_type: str
    phase: str
    count: int
    events: int
    last_event_at: datetime | None


@dataclass(frozen=True, slots=True)
class WatchStats:
    """One watch loop: why its stream restarted and why it relisted, with counts."""

    cluster_id: str
    resource_type: str
    restarts: Mapping[str, int]
    relists: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class WriterStats:
    queued_rows: int
    max_queued_rows: int
    queued_operations: int
    batches: int
    applied_events: int
    batch_rows: Histogram
    batch_seconds: Histogram
    rejected_rows: int = 0  # rows the database refused for their content
    abandoned_sweeps: int = 0  # sweeps given up after repeated failures
    unavailable: bool = False  # the database cannot take commits right now


@dataclass(frozen=True, slots=True)
class SyncStats:
    """What one sync service has done so far, read at once (``SyncService.stats()``)."""

    cluster_phases: Mapping[str, str]  # cluster id -> phase
    kinds: tuple[KindStats, ...]
    watches_running: Mapping[str, int]  # cluster id -> watch loops
    watches: tuple[WatchStats, ...]
    writer: WriterStats
