"""Root fields reading a Prometheus connection: the current value of the metrics it
listens to (a query, and a subscription re-reading them at an interval), and metric
name suggestions for its registration form.

Errors are typed: ``NOT_FOUND`` (unknown id), ``BAD_INPUT`` (not a Prometheus
connection, bad arguments), ``CONNECTIVITY_FAILED`` (the Prometheus cannot be read;
read-only callers are told only that). Once a subscription runs, a failed read is an
item with ``error`` set, and the stream goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.connections.health import is_reader
from graphql_server.api.context import Info
from graphql_server.connectivity.prometheus import MetricReading
from graphql_server.errors import BadInput, ConnectivityFailed
from graphql_server.services.prometheus_reading import (
    MetricsReading,
    current_metrics,
    suggested_metric_names,
)

MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0


@strawberry.type(description="One series of a metric and its current value.")
class MetricSample:
    labels: JSON = strawberry.field(description="Its labels (without __name__).")
    value: float | None = strawberry.field(description="Null for NaN or infinite values.")
    timestamp: float | None = strawberry.field(description="Unix seconds of the evaluation.")


@strawberry.type(description="The current value of one metric (an instant query).")
class MetricValue:
    name: str
    samples: list[MetricSample]
    truncated: bool = strawberry.field(description="More series exist than are shown.")
    error: str | None = strawberry.field(description="Why the Prometheus refused the query.")

    @classmethod
    def of(cls, reading: MetricReading) -> MetricValue:
        return cls(
            name=reading.name,
            samples=[
                MetricSample(labels=JSON(s.labels), value=s.value, timestamp=s.timestamp)
                for s in reading.samples
            ],
            truncated=reading.truncated,
            error=reading.error,
        )


@strawberry.type(description="The metrics a Prometheus connection listens to, read at `at`.")
class ConnectionMetrics:
    connection_id: strawberry.ID
    at: datetime
    metrics: list[MetricValue] = strawberry.field(
        description="One per metric of its registration's metrics to listen to, in order."
    )
    error: str | None = strawberry.field(
        default=None, description="Why this read failed (subscriptions only; metrics empty)."
    )

    @classmethod
    def of(cls, reading: MetricsReading) -> ConnectionMetrics:
        return cls(
            connection_id=strawberry.ID(reading.connection.id),
            at=reading.at,
            metrics=[MetricValue.of(r) for r in reading.readings],
        )


def _shown(info: Info, failure: ConnectivityFailed) -> ConnectivityFailed:
    if is_reader(info):
        return ConnectivityFailed("the Prometheus cannot be read")
    return failure


@strawberry.type
class MetricsQueries:
    @strawberry.field(
        description="The current value of each metric a Prometheus connection listens to "
        "(its registration's metrics), through its reach."
    )
    async def connection_metrics(
        self, info: Info, connection_id: strawberry.ID
    ) -> ConnectionMetrics:
        try:
            return ConnectionMetrics.of(
                await current_metrics(info.context.store, str(connection_id))
            )
        except ConnectivityFailed as failure:
            raise _shown(info, failure) from None

    @strawberry.field(
        description="Names of the metrics a Prometheus connection's server holds that start "
        "with the prefix, sorted: suggestions for its metrics to listen to."
    )
    async def prometheus_metric_names(
        self, info: Info, connection_id: strawberry.ID, prefix: str = "", first: int = 50
    ) -> list[str]:
        try:
            return await suggested_metric_names(
                info.context.store, str(connection_id), prefix, first
            )
        except ConnectivityFailed as failure:
            raise _shown(info, failure) from None


@strawberry.type
class MetricsSubscription:
    @strawberry.subscription(
        description="The metrics a Prometheus connection listens to, read now and every "
        f"intervalSeconds ({MIN_INTERVAL:g} to {MAX_INTERVAL:g}) after."
    )
    async def connection_metrics(
        self, info: Info, connection_id: strawberry.ID, interval_seconds: float = 15.0
    ) -> AsyncGenerator[ConnectionMetrics, None]:
        if not MIN_INTERVAL <= interval_seconds <= MAX_INTERVAL:
            raise BadInput(
                f"intervalSeconds must be from {MIN_INTERVAL:g} to {MAX_INTERVAL:g}",
                field="intervalSeconds",
            )
        store = info.context.store
        first = True
        while True:
            try:
                yield ConnectionMetrics.of(await current_metrics(store, str(connection_id)))
            except ConnectivityFailed as failure:
                if first:
                    raise _shown(info, failure) from None
                yield ConnectionMetrics(
                    connection_id=connection_id,
                    at=datetime.now(UTC),
                    metrics=[],
                    error=_shown(info, failure).message,
                )
            first = False
            await asyncio.sleep(interval_seconds)
