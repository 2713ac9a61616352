"""Persistence: the only package that talks to the database (through tortoise-orm).

Transactions go through :meth:`Database.transaction` (``store.transactions``:
a failed BEGIN or COMMIT never leaves a connection behind); multi-row
statements on resources are grouped and chunked by ``store.chunking``. It must
not import the API, the sync or Kubernetes clients.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql_server.crypto import SecretBox
from graphql_server.store.clusters import ClusterStore
from graphql_server.store.connections import ConnectionStore
from graphql_server.store.credentials import CredentialStore
from graphql_server.store.database import DEFAULT_POOL_SIZE, Database
from graphql_server.store.environments import EnvironmentStore
from graphql_server.store.event_log import EventLogStore
from graphql_server.store.fingerprints import FingerprintReads
from graphql_server.store.identity import register_instance
from graphql_server.store.registry import RegistryStore
from graphql_server.store.resources import ResourceStore


class Store:
    """The process's stores over one open database."""

    def __init__(
        self,
        database: Database,
        *,
        secrets: SecretBox | Callable[[], SecretBox] | None = None,
        server_id: str = "local",
    ) -> None:
        self.database = database
        self.server_id = server_id
        self.connections = ConnectionStore(database, server_id)
        self.credentials = CredentialStore(database, secrets)
        self.environments = EnvironmentStore(database)
        self.events = EventLogStore(database)
        self.resources = ResourceStore(database)
        self.fingerprints = FingerprintReads(database)
        self.clusters = ClusterStore(database)
        self.registry = RegistryStore()

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        secrets: SecretBox | Callable[[], SecretBox] | None = None,
        server_id: str | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> Store:
        """Open the database; with ``server_id``, record that this server instance started.

        ``pool_size`` is the number of read connections (SQLite) or of pooled
        connections (PostgreSQL)."""
        database = Database(url, pool_size)
        await database.open(migrate=migrate)
        if server_id is not None:
            await register_instance(server_id)
        return cls(database, secrets=secrets, server_id=server_id or "local")

    async def close(self) -> None:
        await self.database.close()


__all__ = ["ClusterStore", "Database", "RegistryStore", "ResourceStore", "Store"]
