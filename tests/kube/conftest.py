"""Fixtures for the kube tests: a seeded simulated cluster that requires a bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from graphql_server.simulator import RunningSimulator, SimulatedCluster

SIM_TOKEN = "sim-bearer-token-4f8a2c61d9e3"


@pytest.fixture
async def simulated() -> AsyncIterator[RunningSimulator[SimulatedCluster]]:
    """A seeded simulated cluster that requires ``SIM_TOKEN``."""
    cluster = SimulatedCluster("sim", seed=5, token=SIM_TOKEN, bookmark_interval=0.3)
    cluster.seed_objects(150)
    async with cluster.serving() as running:
        yield running
