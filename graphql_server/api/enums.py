"""The domain enums the schema shows, made GraphQL enums in one place.

Each GraphQL enum here is the domain enum itself (``strawberry.enum`` registers it
under its schema name), so there is one definition per type and no conversion between
an API copy and the domain. Import these names from here so the registration has
always happened before a schema is built. Defines no enum of its own.
"""

from __future__ import annotations

import strawberry

from graphql_server.connectivity import Reach
from graphql_server.events import ResourceEventType, Severity, SyncPhase
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.health import HealthStatus

__all__ = [
    "ConnectionStatus",
    "HealthStatus",
    "Reach",
    "ResourceEventType",
    "Severity",
    "SyncPhase",
]

strawberry.enum(
    ConnectionStatus,
    name="ConnectionStatus",
    description="Where a connection stands in its lifecycle.",
)
strawberry.enum(ResourceEventType, name="ResourceEventType")
strawberry.enum(
    SyncPhase, name="SyncPhase", description="Where the sync of a cluster or resource type stands."
)
strawberry.enum(
    Severity,
    name="Severity",
    description="How much an event log entry matters, from SUCCESS to CRITICAL.",
)
strawberry.enum(
    Reach,
    name="Reach",
    description="How requests to a Prometheus or Grafana travel: to its URL (DIRECT), or "
    "through the Kubernetes API server's service proxy of the cluster it was discovered "
    "in, with that cluster's CONNECTED connection's credentials (CLUSTER_PROXY).",
)
strawberry.enum(
    HealthStatus,
    name="HealthStatus",
    description="How a connection's latest health tests went: UNKNOWN (none since it "
    "connected), HEALTHY (the latest passed), FAILING (some failed in a row, fewer than "
    "--health-failures), UNHEALTHY (enough failed in a row to move it out of CONNECTED).",
)
