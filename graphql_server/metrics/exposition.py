"""One app's metrics: its registry, what the collectors read, and the ``/metrics`` endpoint.

Owns the ``Metrics`` object the app creates (one per app, so several apps in one
process never share series): a prometheus registry holding the process collector
(memory, CPU, file descriptors), the garbage collector's figures, the GraphQL
operation metrics (``api.transport.operation_metrics``) and the collectors that read the
sync and the serving side at scrape time. The app hands it its services and a
way to read its sync's stats snapshot once they are up (``attach``).

The endpoint is a plain ASGI callable answering GET and HEAD in the exposition
format the scraper asks for (text or OpenMetrics). When access tokens are
configured it wants one of them, like ``/graphql``: the figures name clusters
and operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, GCCollector, ProcessCollector
from prometheus_client.core import InfoMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from graphql_server import __version__
from graphql_server.api.auth import access_for, bearer, tokens_required
from graphql_server.api.context import Services
from graphql_server.api.transport.operation_metrics import OperationMetrics
from graphql_server.metrics.collectors import PREFIX, ServingCollector, SyncCollector, TaskCollector
from graphql_server.settings import Settings
from graphql_server.sync.stats import SyncStats
from graphql_server.tasks import TaskRestarts

Scope = dict[str, Any]


class Metrics:
    def __init__(self, settings: Settings, restarts: TaskRestarts | None = None) -> None:
        self.settings = settings
        self.registry = CollectorRegistry()
        self.operations = OperationMetrics(self.registry)
        self._services: Services | None = None
        self._sync_stats: Callable[[], Iterable[SyncStats]] = list
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.registry.register(SyncCollector(lambda: self._sync_stats()))
        self.registry.register(ServingCollector(lambda: self._services))
        self.registry.register(TaskCollector(restarts if restarts is not None else TaskRestarts()))
        self.registry.register(_InfoCollector())

    def attach(self, services: Services, sync_stats: Callable[[], Iterable[SyncStats]]) -> None:
        """What to read from now on: the app's services and its sync's stats."""
        self._services = services
        self._sync_stats = sync_stats

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The current figures, encoded as the ``Accept`` header asks; and the content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope.get("method") not in ("GET", "HEAD"):
            await _respond(send, 405, b"method not allowed\n", "text/plain", allow="GET, HEAD")
            return
        if (
            tokens_required(self.settings)
            and access_for(self.settings, bearer(headers.get("authorization"))) is None
        ):
            body = b"a valid bearer token is required\n"
            await _respond(send, 401, body, "text/plain", **{"www-authenticate": "Bearer"})
            return
        body, content_type = self.exposition(headers.get("accept", ""))
        await _respond(send, 200, b"" if scope.get("method") == "HEAD" else body, content_type)


class _InfoCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield InfoMetricFamily(f"{PREFIX}_build", "The running version.", {"version": __version__})


async def _respond(send: Any, status: int, body: bytes, content_type: str, **extra: str) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(body))]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
