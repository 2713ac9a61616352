"""Initial sync: the store ends exactly equal to the simulated cluster."""

from __future__ import annotations

from pathlib import Path

from tests.sync.harness import converge, synced_cluster


async def test_initial_sync_is_exact(database_url: str, tmp_path: Path) -> None:
    async with synced_cluster(database_url, tmp_path, objects=400) as synced:
        inventory = await converge(synced.store, synced.cluster)
    assert len(inventory) > 300
