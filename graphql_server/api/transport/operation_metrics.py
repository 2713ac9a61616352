"""GraphQL operation metrics: operations by name and type, their latency, their errors.

Owns the prometheus metrics of GraphQL operations and the strawberry extension that
feeds them. The metrics live in the registry the caller gives (one per app, never
prometheus_client's global one). Errors are counted by their ``extensions.code``
after ``api.errors`` has presented them, so the extension must come before
``ErrorPresentation`` in the schema's extension list (extensions exit in reverse
order). Operations are counted when they end; a subscription's streamed errors are
counted as they are sent, and its lifetime is not a latency and is not observed.

Operation names are chosen by clients: at most ``max_names`` distinct names get
their own series, later ones are counted as ``other``, so a client cannot grow the
server's memory through labels.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from graphql import GraphQLError
from prometheus_client import CollectorRegistry, Counter, Histogram
from strawberry.extensions import SchemaExtension

ANONYMOUS = "anonymous"
OTHER = "other"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class OperationMetrics:
    """Counters and histograms of one app's GraphQL operations."""

    def __init__(self, registry: CollectorRegistry, max_names: int = 200) -> None:
        labels = ("operation", "type")
        self.operations = Counter(
            "graphql_server_graphql_operations",
            "GraphQL operations completed, by operation name and type.",
            labels,
            registry=registry,
        )
        self.latency = Histogram(
            "graphql_server_graphql_operation_seconds",
            "Time to answer a GraphQL query or mutation, by operation name and type.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "graphql_server_graphql_errors",
            "Errors in GraphQL responses, by operation name, type and extensions.code.",
            (*labels, "code"),
            registry=registry,
        )
        self.max_names = max_names
        self._names: set[str] = set()

    def name(self, operation_name: str | None) -> str:
        """The label for an operation name, bounded in number."""
        if not operation_name:
            return ANONYMOUS
        if operation_name in self._names:
            return operation_name
        if len(self._names) >= self.max_names:
            return OTHER
        self._names.add(operation_name)
        return operation_name

    def count_errors(self, name: str, kind: str, errors: Iterable[GraphQLError]) -> None:
        for error in errors:
            code = str((error.extensions or {}).get("code") or "INTERNAL")
            self.errors.labels(name, kind, code).inc()

    def extension(self) -> SchemaExtension:
        """A fresh extension for one operation (strawberry calls this per operation)."""
        return OperationTimer(self)


class OperationTimer(SchemaExtension):
    def __init__(self, metrics: OperationMetrics) -> None:
        self.metrics = metrics
        self._labels: tuple[str, str] | None = None

    def _operation(self) -> tuple[str, str]:
        if self._labels is None:
            context = self.execution_context
            try:
                kind = context.operation_type.value
            except Exception:  # a document that does not parse has no type
                kind = "unknown"
            self._labels = (self.metrics.name(context.operation_name), kind)
        return self._labels

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        context = self.execution_context
        name, kind = self._operation()
        self.metrics.operations.labels(name, kind).inc()
        if kind == "subscription":
            return  # its errors are counted as they are streamed
        self.metrics.latency.labels(name, kind).observe(elapsed)
        errors = getattr(context.result, "errors", None)
        self.metrics.count_errors(name, kind, errors or context.pre_execution_errors or ())

    def on_stream_result(self, result: Any) -> Iterator[None]:
        yield
        errors = getattr(result, "errors", None)
        if errors:
            name, kind = self._operation()
            if kind == "subscription":  # other operations count theirs in on_operation
                self.metrics.count_errors(name, kind, errors)
