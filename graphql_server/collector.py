"""The cyclic garbage collector tuned for a server holding a large inventory.

CPython runs its youngest collection every 700 container allocations and a full
one as the heap grows. The server allocates containers by the million while it
syncs (each JSON object parsed, each row and event), almost none of them in
cycles, over a heap of tens of megabytes of modules and state: with the default
thresholds the collector alone made parsing a 100,000-object list several times
slower. :func:`tune` freezes what start-up built (modules, schema, registry:
never garbage) out of every later collection, and collects the young generation
every :data:`YOUNG` allocations instead of 700. Cycles are still collected, later
and in larger, rarer passes.
"""

from __future__ import annotations

import gc

YOUNG = 50_000
"""Container allocations between collections of the youngest generation."""

MIDDLE = 20
"""Young collections between collections of the middle generation."""

OLD = 100
"""Middle collections between full collections (CPython also waits until a
quarter of the long-lived objects are new)."""


def tune() -> None:
    """Freeze the start-up heap and raise the collection thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
