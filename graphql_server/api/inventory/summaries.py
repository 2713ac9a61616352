"""Resource counts for a filter: computed in one grouped store query, and kept live
for subscribers by a coalescing producer.

The store groups matching rows by (cluster, namespace, apiVersion, kind); every
dimension shown (kind, namespace, cluster, and any dimension derived from the
apiVersion and kind, such as a component model) is folded from those groups in
memory. ``DIMENSIONS`` is where a dimension is added.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from graphql_server.api.inventory.filters import matches
from graphql_server.api.inventory.types import Group, ResourceSummary, SummaryCount
from graphql_server.api.transport.fanout import Emit, Producer
from graphql_server.broker import Broker
from graphql_server.events import RESOURCES_TOPIC, Missed
from graphql_server.events import ResourceEvent as StoredEvent
from graphql_server.services.records import ResourceQuery, Store

# At most one recount, and one update pushed, per filter in this many seconds.
SUMMARY_INTERVAL = 0.5

GROUP_COLUMNS = ("cluster_id", "namespace", "api_version", "kind")


def _by(key: Callable[[Group], str]) -> Callable[[tuple[Group, ...]], list[SummaryCount]]:
    def fold(groups: tuple[Group, ...]) -> list[SummaryCount]:
        counts: Counter[str] = Counter()
        for group in groups:
            counts[key(group)] += group[4]
        return [SummaryCount(key=k, count=n) for k, n in sorted(counts.items())]

    return fold


# Field of ResourceSummary -> how its counts are folded from the groups.
DIMENSIONS: dict[str, Callable[[tuple[Group, ...]], list[SummaryCount]]] = {
    "by_kind": _by(lambda g: g[3]),
    "by_namespace": _by(lambda g: g[1]),
    "by_cluster": _by(lambda g: g[0]),
}


def build_summary(groups: tuple[Group, ...]) -> ResourceSummary:
    folded: dict[str, Any] = {name: fold(groups) for name, fold in DIMENSIONS.items()}
    return ResourceSummary(total=sum(g[4] for g in groups), groups=groups, **folded)


async def summarize(store: Store, query: ResourceQuery) -> ResourceSummary:
    rows = await store.resources.count_by(query, GROUP_COLUMNS)
    groups = tuple(
        sorted(
            (
                str(r["cluster_id"]),
                str(r["namespace"]),
                str(r["api_version"]),
                str(r["kind"]),
                int(r["n"]),
            )
            for r in rows
        )
    )
    return build_summary(groups)


def _relevant(query: ResourceQuery, message: object) -> bool:
    if isinstance(message, Missed):
        return True
    if not isinstance(message, StoredEvent):
        return False
    row = message.resource
    return matches(query, row) or (
        message.previous_labels is not None and matches(query, row, message.previous_labels)
    )


def summary_producer(
    store: Store, broker: Broker, query: ResourceQuery, interval: float = SUMMARY_INTERVAL
) -> Producer:
    """Recount after relevant changes: at once after a quiet period, then at most
    once per ``interval``; only counts that differ from the last ones are emitted."""

    async def produce(emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        last: tuple[Group, ...] | None = None
        not_before = 0.0
        async with broker.subscribe(RESOURCES_TOPIC) as changes:
            async for message in changes:
                if not _relevant(query, message):
                    continue
                delay = not_before - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                while changes.backlog:
                    await changes.get()  # folded into this recount
                summary = await summarize(store, query)
                not_before = loop.time() + interval
                if summary.groups != last:
                    last = summary.groups
                    emit(summary)

    return produce
