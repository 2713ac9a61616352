"""Prometheus metrics of the process, read from live state when scraped.

Sits between the app and the edges (``api``, ``sync``): it may read both, and
the app creates one ``Metrics`` per app and serves it at ``/metrics``. Together
with ``api.transport.operation_metrics`` it is the only user of ``prometheus_client``.
"""

from graphql_server.metrics.exposition import Metrics

__all__ = ["Metrics"]
