"""Fixtures for connection tests: the real Prometheus and Grafana servers of the
connectivity tests, a simulated cluster with a bearer token, and a server running
the sync."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from graphql_server.components import sync_component
from graphql_server.settings import Settings
from graphql_server.simulator import RunningSimulator, SimulatedCluster
from tests.conftest import RunningServer, free_port, serving

# The connectivity tests' real servers, shared rather than copied.
from tests.connectivity.conftest import (  # noqa: F401 - fixtures
    grafana_url,
    prometheus,
    prometheus_basic,
    prometheus_pair,
)

SIM_TOKEN = "sim-bearer-token-4f8a2c61d9e3"


@pytest.fixture
async def simulated() -> AsyncIterator[RunningSimulator]:
    """A seeded simulated cluster that requires ``SIM_TOKEN``."""
    cluster = SimulatedCluster("sim", seed=5, token=SIM_TOKEN, bookmark_interval=0.3)
    cluster.seed_objects(150)
    async with cluster.serving() as running:
        yield running


@pytest.fixture
async def sync_server(database_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    """The server with the sync running (no cluster given on the command line)."""
    settings = Settings(database_url=database_url, data_dir=tmp_path, port=free_port())
    async with serving(settings, components=(sync_component(settings),)) as running:
        yield running
