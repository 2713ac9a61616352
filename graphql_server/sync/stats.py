"""Running distributions the sync keeps about itself: fixed buckets, a count and a sum.

Recorded once per writer batch, never per event, and read at scrape time by
``graphql_server.metrics``. Nothing here knows about any metrics library.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

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
