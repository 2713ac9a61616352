"""Using a Prometheus connection: the current value of the metrics it listens to, and
the metric names it offers for its registration form.

Owns finding the Prometheus a connection names, with its stored credential and through
its reach (its URL, or its cluster's service proxy), and refusing what is no
Prometheus connection. Reads the store only; writes nothing, logs no event. Errors
are typed: ``NotFound`` for an unknown id, ``BadInput`` for another kind of
connection, ``ConnectivityFailed`` for a Prometheus that cannot be read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from graphql_server.connectivity import Reach
from graphql_server.connectivity.prometheus import (
    MetricReading,
    Target,
    metric_names,
    read_metrics,
)
from graphql_server.errors import BadInput, ConnectivityFailed
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.probing import (
    check_reach,
    cluster_proxy,
    no_cluster_message,
    reach_of,
    stored_secret,
)
from graphql_server.store import Store
from graphql_server.store.connections import ConnectionRecord

MAX_SUGGESTIONS = 500


@dataclass(frozen=True, slots=True)
class MetricsReading:
    """The metrics a Prometheus connection listens to, read at ``at``."""

    connection: ConnectionRecord
    at: datetime
    readings: tuple[MetricReading, ...]


async def prometheus_connection(store: Store, connection_id: str) -> ConnectionRecord:
    record = await store.connections.require(connection_id)
    if record.kind != "prometheus":
        raise BadInput(
            f"connection {record.name!r} is a {record.kind} connection, not a Prometheus one",
            field="connectionId",
        )
    if record.status is ConnectionStatus.DELETED:
        raise BadInput(f"connection {record.name!r} is deleted", field="connectionId")
    return record


@asynccontextmanager
async def reaching(store: Store, record: ConnectionRecord) -> AsyncIterator[Target]:
    """The connection's Prometheus, with its stored credential, through its reach."""
    credential_type, secret = await stored_secret(store, record) or ("none", {})
    if reach_of(record) is not Reach.CLUSTER_PROXY:
        yield Target(record.url, credential_type, secret)
        return
    check_reach(record, record.kind, Reach.CLUSTER_PROXY)
    async with cluster_proxy(store, record) as proxy:
        if proxy is None:
            cluster_id = str(record.metadata.get("clusterId") or record.cluster_id or "")
            raise ConnectivityFailed(no_cluster_message(cluster_id), reason="no_cluster_connection")
        yield Target(record.url, credential_type, secret, via=proxy)


def listened_metrics(record: ConnectionRecord) -> list[str]:
    registration = record.metadata.get("registration")
    metrics = registration.get("metrics") if isinstance(registration, dict) else None
    return [m for m in metrics if isinstance(m, str)] if isinstance(metrics, list) else []


async def current_metrics(store: Store, connection_id: str) -> MetricsReading:
    """The current value of each metric the connection's registration lists."""
    record = await prometheus_connection(store, connection_id)
    metrics = listened_metrics(record)
    if not metrics:
        return MetricsReading(record, datetime.now(UTC), ())
    async with reaching(store, record) as target:
        readings = await read_metrics(target, metrics)
    return MetricsReading(record, datetime.now(UTC), tuple(readings))


async def suggested_metric_names(
    store: Store, connection_id: str, prefix: str = "", limit: int = 50
) -> list[str]:
    """Metric names the connection's Prometheus holds, starting with ``prefix``."""
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise BadInput(f"limit must be from 1 to {MAX_SUGGESTIONS}", field="limit")
    if len(prefix) > 200:
        raise BadInput("the prefix is longer than 200 characters", field="prefix")
    record = await prometheus_connection(store, connection_id)
    async with reaching(store, record) as target:
        return await metric_names(target, prefix.strip(), limit)
