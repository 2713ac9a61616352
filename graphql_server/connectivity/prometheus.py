"""Reading a Prometheus: the current value of metrics, and the metric names it holds.

Owns the two Prometheus HTTP API calls the server makes besides its connectivity
probe: instant queries of bare metric names (``/api/v1/query``) and the list of
metric names (``/api/v1/label/__name__/values``), at the Prometheus's URL or through
its cluster's service proxy (``reach``). A Prometheus that cannot be reached, refuses
the credential or answers something else raises :class:`ConnectivityFailed` with a
message that names the host, never the credential. A metric the Prometheus refuses
to evaluate is reported on that metric alone.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from graphql_server.connectivity.definitions import validate_secret
from graphql_server.connectivity.probes import DEFAULT_TIMEOUT, auth_headers
from graphql_server.connectivity.reach import ClusterProxy, Fetch, direct, through_proxy
from graphql_server.connectivity.transport import ProbeFailure, Reply, normalize_url
from graphql_server.errors import ConnectivityFailed

__all__ = ["MetricReading", "Sample", "metric_names", "read_metrics"]

MAX_SERIES = 100  # series kept per metric
MAX_NAMES = 1000  # metric names suggested at most


@dataclass(frozen=True, slots=True)
class Sample:
    """One series of a metric: its labels (``__name__`` left out) and current value."""

    labels: dict[str, str]
    value: float | None
    timestamp: float | None


@dataclass(frozen=True, slots=True)
class MetricReading:
    name: str
    samples: tuple[Sample, ...] = ()
    truncated: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """Where a Prometheus is and how to authenticate to it."""

    url: str
    credential_type: str = "none"
    credential: Mapping[str, Any] | None = None
    via: ClusterProxy | None = None

    def fetch(self) -> tuple[Fetch, str]:
        base = normalize_url(self.url, default_protocol="http")
        if self.via is not None:
            return through_proxy(self.via), self.via.where
        return direct(base), base

    def headers(self) -> dict[str, str]:
        secret = validate_secret("prometheus", self.credential_type, self.credential)
        return auth_headers(self.credential_type, secret)


def _data(reply: Reply, where: str, path: str) -> Any:
    if reply.status in (401, 403):
        raise ProbeFailure(
            "unauthenticated", f"{where} refused the credential (HTTP {reply.status} on {path})"
        )
    body = reply.body if reply.is_json and isinstance(reply.body, dict) else None
    if body is not None and body.get("status") == "success":
        return body.get("data")
    if body is not None and reply.status in (400, 422) and body.get("error"):
        raise ValueError(" ".join(str(body["error"]).split())[:300])
    raise ProbeFailure("unexpected_response", f"{where} answered {path} with HTTP {reply.status}")


def _number(raw: object) -> float | None:
    try:
        value = float(str(raw))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _reading(name: str, data: Any) -> MetricReading:
    if not isinstance(data, dict) or data.get("resultType") != "vector":
        return MetricReading(name, error="the Prometheus did not answer with a vector")
    result = data.get("result")
    series = result if isinstance(result, list) else []
    samples = []
    for item in series[:MAX_SERIES]:
        if not isinstance(item, dict):
            continue
        metric = item.get("metric")
        labels = {
            str(k): str(v)
            for k, v in (metric.items() if isinstance(metric, dict) else ())
            if k != "__name__"
        }
        pair = item.get("value")
        stamp, raw = pair if isinstance(pair, list) and len(pair) == 2 else (None, None)
        samples.append(Sample(labels, _number(raw), _number(stamp)))
    return MetricReading(name, tuple(samples), truncated=len(series) > MAX_SERIES)


async def _within(target: Target, timeout_seconds: float, work: Any) -> Any:
    fetch, where = target.fetch()
    headers = target.headers()
    try:
        async with (
            asyncio.timeout(timeout_seconds),
            aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=timeout_seconds + 1), trust_env=False
            ) as session,
        ):
            return await work(session, fetch, headers, where)
    except ProbeFailure as failure:
        raise ConnectivityFailed(failure.message, reason=failure.reason) from None
    except TimeoutError:
        raise ConnectivityFailed(
            f"no answer from {where} within {timeout_seconds:g} s", reason="timeout"
        ) from None


async def read_metrics(
    target: Target, metrics: Sequence[str], timeout_seconds: float = DEFAULT_TIMEOUT
) -> list[MetricReading]:
    """The current value of each metric (one instant query each, all within ``timeout_seconds``)."""

    async def work(
        session: aiohttp.ClientSession, fetch: Fetch, headers: dict[str, str], where: str
    ) -> list[MetricReading]:
        async def one(name: str) -> MetricReading:
            path = "/api/v1/query"
            reply = await fetch(session, path, {"query": name}, headers)
            try:
                return _reading(name, _data(reply, where, path))
            except ValueError as refused:
                return MetricReading(name, error=str(refused))

        return list(await asyncio.gather(*(one(name) for name in metrics)))

    if not metrics:
        return []
    readings: list[MetricReading] = await _within(target, timeout_seconds, work)
    return readings


async def metric_names(
    target: Target, prefix: str = "", limit: int = 100, timeout_seconds: float = DEFAULT_TIMEOUT
) -> list[str]:
    """Names of the metrics the Prometheus holds that start with ``prefix``, sorted."""

    async def work(
        session: aiohttp.ClientSession, fetch: Fetch, headers: dict[str, str], where: str
    ) -> list[str]:
        path = "/api/v1/label/__name__/values"
        try:
            data = _data(await fetch(session, path, None, headers), where, path)
        except ValueError as refused:
            raise ProbeFailure("unexpected_response", f"{where}: {refused}") from None
        names = data if isinstance(data, list) else []
        chosen = sorted({n for n in names if isinstance(n, str) and n.startswith(prefix)})
        return chosen[: max(0, min(limit, MAX_NAMES))]

    names: list[str] = await _within(target, timeout_seconds, work)
    return names
