"""The read side the API may use: the store handle, its records and its queries.

The API reads the inventory, connections and the event log straight from the store's
read methods (one batched query per field, nothing to orchestrate), and writes only
through the services. This module names what it reads with, so that the API never
imports the store itself. It holds no logic of its own.
"""

from __future__ import annotations

from graphql_server.store import Store
from graphql_server.store.clusters import ClusterRecord, KindSyncRecord
from graphql_server.store.connections import ConnectionQuery, ConnectionRecord
from graphql_server.store.credentials import CredentialRecord
from graphql_server.store.environments import EnvironmentRecord
from graphql_server.store.event_log import EventQuery
from graphql_server.store.resources import ResourceQuery, StoredResource, split_resource_id

__all__ = [
    "ClusterRecord",
    "ConnectionQuery",
    "ConnectionRecord",
    "CredentialRecord",
    "EnvironmentRecord",
    "EventQuery",
    "KindSyncRecord",
    "ResourceQuery",
    "Store",
    "StoredResource",
    "split_resource_id",
]
