"""A real server syncing a simulated cluster, with the means to break what it depends on.

``served_sync`` runs the app (uvicorn on a loopback port, ``/readyz`` and all) with the
sync of one simulated cluster as its component, so a fault test can look at what an
operator would: the store, the sync status, ``/readyz`` and the event log. The tests
wait with ``tests.helpers.until`` (polled, with a deadline).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from graphql_server.api.context import Services
from graphql_server.settings import Settings
from graphql_server.simulator import SimulatedCluster
from graphql_server.store import Store
from graphql_server.store.event_log import EventQuery
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.service import SyncService, sync_options
from tests.conftest import RunningServer, free_port, serving
from tests.sync.harness import FAST_WATCH


@dataclass
class ServedSync:
    server: RunningServer
    service: SyncService
    cluster: SimulatedCluster

    @property
    def store(self) -> Store:
        return self.server.services.store

    @property
    def cluster_id(self) -> str:
        return self.cluster.uid

    def phase(self) -> str:
        state = self.service.tracker.clusters.get(self.cluster_id)
        return "" if state is None else state.phase

    async def readiness(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.server.url}/readyz") as response,
        ):
            return response.status, await response.json()

    async def sync_events(self) -> list[str]:
        """The messages of this cluster's sync-status entries in the event log, oldest first."""
        entries, _, _ = await self.store.events.page(
            EventQuery(categories=("sync_error",), subject_ids=(self.cluster_id,)), 100
        )
        return [entry.message for entry in reversed(entries)]


@asynccontextmanager
async def served_sync(
    database_url: str, tmp_path: Path, cluster: SimulatedCluster, kubeconfig: Path
) -> AsyncIterator[ServedSync]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, port=free_port())
    source = ClusterSource(name="sim", kubeconfig=kubeconfig)
    started: list[SyncService] = []

    @asynccontextmanager
    async def component(services: Services) -> AsyncIterator[SyncService]:
        options = sync_options(settings, FAST_WATCH)
        async with SyncService(
            services.store, services.broker, options, [source], status_interval=0.1
        ) as service:
            started.append(service)
            yield service

    async with serving(settings, components=(component,)) as server:
        yield ServedSync(server, started[0], cluster)
