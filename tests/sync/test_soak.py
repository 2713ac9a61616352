"""A randomized soak: churn plus random faults for a bounded time, then quiesce. The
store must end with zero missing, zero stale and zero duplicate rows."""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

import pytest

from tests.sync.harness import converge, synced_cluster

SOAK_SECONDS = float(os.environ.get("GRAPHQL_SERVER_SOAK_SECONDS", "6"))
TYPES = ["pods", "configmaps", "deployments.apps", "replicasets.apps", "services"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
async def test_soak_with_random_faults(database_url: str, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    async with synced_cluster(database_url, tmp_path, objects=600) as synced:
        cluster = synced.cluster
        await converge(synced.store, cluster)
        await cluster.start_churn(150, seed=seed)
        faults: list[str] = []
        deadline = time.monotonic() + SOAK_SECONDS
        while time.monotonic() < deadline:
            fault = rng.choice(
                ["drop", "expire", "compact", "error", "stall", "latency", "forbid", "none"]
            )
            faults.append(fault)
            if fault == "drop":
                cluster.drop_watches()
            elif fault == "expire":
                cluster.expire_watches()
            elif fault == "compact":
                cluster.compact_history()
            elif fault == "error":
                cluster.inject_error(rng.choice(TYPES), rng.choice([500, 429]), count=3)
            elif fault == "stall":
                cluster.stall_watches()
            elif fault == "latency":
                cluster.set_latency(0.05, rng.choice(TYPES))
            elif fault == "forbid":
                cluster.forbid(rng.choice(TYPES))
            await asyncio.sleep(rng.uniform(0.1, 0.5))
            if fault in ("stall", "forbid", "latency"):
                cluster.clear_faults()
        await cluster.stop_churn()
        cluster.clear_faults()
        inventory = await converge(synced.store, cluster, within=60)
    assert len(set(faults)) >= 4, faults
    assert len(inventory) > 500
