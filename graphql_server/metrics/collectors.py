"""Collectors that read the process's live state when Prometheus scrapes.

Owns turning in-memory state into metric families: the sync (per cluster and
resource type: objects stored, events applied, phase, seconds since the last
event, watch restarts and relists by reason; the writer's queue and batches) and
the serving side (subscribers, shared executions, feeds, broker subscriptions,
subscribers dropped for being slow). Nothing is recorded on the watch or writer
paths for these: every figure is read from state those paths keep anyway, at
scrape time, and this module must never write to that state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from graphql_server.api.context import Services
from graphql_server.broker.base import Overflows
from graphql_server.sync.stats import Histogram, SyncStats, WriterStats
from graphql_server.sync.status import PHASES
from graphql_server.tasks import TaskRestarts

PREFIX = "graphql_server"
KIND_LABELS = ("cluster_id", "resource_type")


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(float(value))


def _histogram(name: str, documentation: str, parts: Sequence[Histogram]) -> Metric:
    """One histogram from distributions with the same bounds (summed)."""
    if not parts:
        return HistogramMetricFamily(name, documentation, buckets=[("+Inf", 0)], sum_value=0)
    totals = [0] * len(parts[0].cumulative)
    for part in parts:
        for index, (_, running) in enumerate(part.cumulative):
            totals[index] += running
    bounds = (*parts[0].bounds, float("inf"))
    return HistogramMetricFamily(
        name,
        documentation,
        buckets=[(_bound(b), n) for b, n in zip(bounds, totals, strict=True)],
        sum_value=sum(p.total for p in parts),
    )


class SyncCollector(Collector):
    """The sync's figures, from the stats of the sync services the app runs."""

    def __init__(self, stats: Callable[[], Iterable[SyncStats]]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = list(self.stats())
        yield from self._kinds(stats)
        yield from self._watches(stats)
        yield from self._writer([s.writer for s in stats])

    def _kinds(self, stats: list[SyncStats]) -> Iterator[Metric]:
        now = datetime.now(UTC)
        objects = GaugeMetricFamily(
            f"{PREFIX}_sync_objects",
            "Objects stored, by cluster and resource type.",
            labels=KIND_LABELS,
        )
        events = CounterMetricFamily(
            f"{PREFIX}_sync_events_applied",
            "Watch events committed to the store, by cluster and resource type.",
            labels=KIND_LABELS,
        )
        since = GaugeMetricFamily(
            f"{PREFIX}_sync_seconds_since_last_event",
            "Seconds since the last event of a cluster and resource type was committed.",
            labels=KIND_LABELS,
        )
        phases = GaugeMetricFamily(
            f"{PREFIX}_sync_phase",
            "1 for the current sync phase of each cluster and resource type, else 0.",
            labels=(*KIND_LABELS, "phase"),
        )
        clusters = GaugeMetricFamily(
            f"{PREFIX}_cluster_phase",
            "1 for the current sync phase of each cluster, else 0.",
            labels=("cluster_id", "phase"),
        )
        for snapshot in stats:
            for cluster_id, cluster_phase in snapshot.cluster_phases.items():
                for phase in PHASES:
                    clusters.add_metric((cluster_id, phase), float(cluster_phase == phase))
            for kind in snapshot.kinds:
                labels = (kind.cluster_id, kind.resource_type)
                objects.add_metric(labels, kind.count)
                events.add_metric(labels, kind.events)
                if kind.last_event_at is not None:
                    since.add_metric(labels, (now - kind.last_event_at).total_seconds())
                for phase in PHASES:
                    phases.add_metric((*labels, phase), float(kind.phase == phase))
        yield from (objects, events, since, phases, clusters)

    def _watches(self, stats: list[SyncStats]) -> Iterator[Metric]:
        running = GaugeMetricFamily(
            f"{PREFIX}_watches", "Watch loops running, by cluster.", labels=("cluster_id",)
        )
        restarts = CounterMetricFamily(
            f"{PREFIX}_watch_restarts",
            "Watch streams that ended and were resumed or restarted, by reason "
            "(ended, expired, stalled, unreachable, forbidden, http_<status>).",
            labels=(*KIND_LABELS, "reason"),
        )
        relists = CounterMetricFamily(
            f"{PREFIX}_watch_relists",
            "Complete lists of a resource type, by reason (initial, expired, resync).",
            labels=(*KIND_LABELS, "reason"),
        )
        for snapshot in stats:
            for cluster_id, count in snapshot.watches_running.items():
                running.add_metric((cluster_id,), count)
            for watch in snapshot.watches:
                for reason, n in watch.restarts.items():
                    restarts.add_metric((watch.cluster_id, watch.resource_type, reason), n)
                for reason, n in watch.relists.items():
                    relists.add_metric((watch.cluster_id, watch.resource_type, reason), n)
        yield from (running, restarts, relists)

    def _writer(self, writers: list[WriterStats]) -> Iterator[Metric]:
        gauges = (
            ("writer_queued_rows", "Rows waiting in the writer's queue.",
             sum(w.queued_rows for w in writers)),
            ("writer_queue_capacity_rows", "Rows the writer's queue holds before "
             "watch loops wait (backpressure).", sum(w.max_queued_rows for w in writers)),
        )  # fmt: skip
        for name, documentation, value in gauges:
            gauge = GaugeMetricFamily(f"{PREFIX}_{name}", documentation)
            gauge.add_metric((), value)
            yield gauge
        operations = GaugeMetricFamily(
            f"{PREFIX}_writer_queued_operations", "Operations waiting in the writer's queue."
        )
        operations.add_metric((), sum(w.queued_operations for w in writers))
        yield operations
        batches = CounterMetricFamily(f"{PREFIX}_writer_batches", "Batches the writer committed.")
        batches.add_metric((), sum(w.batches for w in writers))
        yield batches
        applied = CounterMetricFamily(
            f"{PREFIX}_writer_events", "Resource events the writer committed and published."
        )
        applied.add_metric((), sum(w.applied_events for w in writers))
        yield applied
        for name, documentation, count in (
            ("writer_rejected_rows", "Rows the database refused for their content "
             "(isolated; their type is relisted).", sum(w.rejected_rows for w in writers)),
            ("writer_abandoned_sweeps", "Sweeps given up after repeated failures "
             "(their type is relisted).", sum(w.abandoned_sweeps for w in writers)),
        ):  # fmt: skip
            counter = CounterMetricFamily(f"{PREFIX}_{name}", documentation)
            counter.add_metric((), count)
            yield counter
        down = GaugeMetricFamily(
            f"{PREFIX}_writer_database_unavailable",
            "1 while the writer cannot commit because the database is unavailable.",
        )
        down.add_metric((), float(any(w.unavailable for w in writers)))
        yield down
        yield _histogram(
            f"{PREFIX}_writer_batch_rows",
            "Rows (before coalescing) in each writer batch.",
            [w.batch_rows for w in writers],
        )
        yield _histogram(
            f"{PREFIX}_writer_batch_seconds",
            "Time to commit and publish one writer batch.",
            [w.batch_seconds for w in writers],
        )


class ServingCollector(Collector):
    """Subscribers and what was dropped for them, from the app's services."""

    def __init__(self, services: Callable[[], Services | None]) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        services = self.services()
        streams = services.streams if services is not None else None
        feeds = services.feeds if services is not None else None
        figures = (
            (
                "subscribers",
                "GraphQL subscriptions open over websockets.",
                streams.subscribers() if streams is not None else 0,
            ),
            (
                "subscription_executions",
                "Subscription executions running, each shared by identical subscriptions.",
                streams.active if streams is not None else 0,
            ),
            (
                "subscription_feeds",
                "Subscription feeds running, each shared by subscriptions with one filter.",
                feeds.active if feeds is not None else 0,
            ),
            (
                "broker_subscriptions",
                "Subscriptions to the broker's topics.",
                services.broker.subscriber_count() if services is not None else 0,
            ),
        )
        for name, documentation, value in figures:
            gauge = GaugeMetricFamily(f"{PREFIX}_{name}", documentation)
            gauge.add_metric((), value)
            yield gauge
        dropped = CounterMetricFamily(
            f"{PREFIX}_slow_subscribers_dropped",
            "Subscribers whose mailbox overflowed because they read too slowly (they are "
            "told to refetch), by mailbox.",
            labels=("mailbox",),
        )
        messages = CounterMetricFamily(
            f"{PREFIX}_subscriber_messages_dropped",
            "Messages dropped from overflowing mailboxes, by mailbox.",
            labels=("mailbox",),
        )
        owners: list[Overflows] = []
        if services is not None:
            owners.append(services.broker.overflows)
        owners.extend(o.overflows for o in (streams, feeds) if o is not None)
        subscribers: Counter[str] = Counter()
        lost: Counter[str] = Counter()
        for overflows in owners:
            subscribers.update(overflows.subscribers)
            lost.update(overflows.messages)
        for mailbox, count in subscribers.items():
            dropped.add_metric((mailbox,), count)
        for mailbox, count in lost.items():
            messages.add_metric((mailbox,), count)
        yield dropped
        yield messages


class TaskCollector(Collector):
    """Restarts of the background tasks that died, as the process's owners count them."""

    def __init__(self, restarts: TaskRestarts) -> None:
        self.restarts = restarts

    def collect(self) -> Iterator[Metric]:
        restarts = CounterMetricFamily(
            f"{PREFIX}_task_restarts",
            "Background tasks restarted after dying of an error, by task.",
            labels=("task",),
        )
        for name, count in sorted(self.restarts.snapshot().items()):
            restarts.add_metric((name,), count)
        yield restarts
