"""Component registry: which model, display name, icon and colours each Kubernetes kind has.

The pure domain layer: definitions, loading (our format and Meshery's), built-in
data, precedence-based resolution, generated components for unknown kinds, and
fingerprinting of monitoring services. It imports only the stdlib, orjson and
``graphql_server.errors``; persisting and serving definitions belong to the store
and API layers.
"""

from graphql_server.registry.builtin import builtin_models
from graphql_server.registry.catalog import ComponentEntry, Registry
from graphql_server.registry.definitions import (
    KNOWN_CATEGORIES,
    UNCATEGORIZED,
    Category,
    Component,
    ComponentKey,
    Model,
    ModelKey,
    PrinterColumn,
    Source,
    Styles,
    join_api_version,
    split_api_version,
)
from graphql_server.registry.loading import LoadResult, Rejection, load, load_many
from graphql_server.registry.resolution import Candidate, ResolvedComponent, Tier
from graphql_server.registry.services import DiscoveredService, find_services

__all__ = [
    "KNOWN_CATEGORIES",
    "UNCATEGORIZED",
    "Candidate",
    "Category",
    "Component",
    "ComponentEntry",
    "ComponentKey",
    "DiscoveredService",
    "LoadResult",
    "Model",
    "ModelKey",
    "PrinterColumn",
    "Registry",
    "Rejection",
    "ResolvedComponent",
    "Source",
    "Styles",
    "Tier",
    "builtin_models",
    "find_services",
    "join_api_version",
    "load",
    "load_many",
    "split_api_version",
]
