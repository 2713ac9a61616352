"""An idle synced server leaves the resources table alone: nothing periodic reads it
once the cluster is synced and its services have been fingerprinted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from graphql_server.store import Store
from graphql_server.store.connections import ConnectionQuery
from graphql_server.store.resources import ResourceQuery
from tests.connections.gql import eventually
from tests.sync.harness import synced_cluster

# Several bookmark intervals of the simulator (0.3 s), the sync status interval
# (0.1 s) and discovery's settle time (2 s): what runs periodically runs within it.
WINDOW = 3.0


def sqlite_connections(store: Store) -> list[Any]:
    """The aiosqlite connections under the store's clients (writer and readers)."""
    database = store.database
    clients: list[Any] = [database.connection(), *database._readers]
    return [client._connection for client in clients]


def touches_resources(statement: str) -> bool:
    words = statement.replace('"', " ").replace("(", " ").split()
    return "resources" in words


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_idle_synced_server_does_not_read_the_resources_table(
    database_url: str, tmp_path: Path
) -> None:
    async with synced_cluster(database_url, tmp_path, objects=300) as synced:
        store = synced.store
        discovery = synced.service.connections.monitoring

        async def fingerprinted() -> bool:
            found = await store.connections.select(ConnectionQuery(kinds=("prometheus", "grafana")))
            return len(found) == 2 and not discovery.pending()

        await eventually(fingerprinted, what="the synced cluster's first discovery pass")
        statements: list[str] = []
        connections = sqlite_connections(store)
        for connection in connections:
            await connection.set_trace_callback(statements.append)
        rounds = discovery.rounds
        try:
            await asyncio.sleep(WINDOW)  # an observation window, not a synchronisation
            idle = [s for s in statements if touches_resources(s)]
            await store.resources.page(ResourceQuery(kinds=("Pod",)), 10)
            traced = [s for s in statements if touches_resources(s)]
        finally:
            for connection in connections:
                await connection.set_trace_callback(None)
        assert idle == []
        assert discovery.rounds == rounds
        assert len(traced) == 1, "the tracing sees a read of the table"
