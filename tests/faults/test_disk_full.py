"""SQLite on a disk that fills up: a full disk is an outage, not a refusal of content.

The data directory is an 8 MB tmpfs (mounting needs root: without it the tests skip,
saying why, or fail under ``CI=true``, where they must run). While the disk is full
the writer keeps every change and reports itself unavailable; once space is freed
the store ends equal to the cluster, with no row counted as refused. A server started
on a full disk says so in one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphql_server.simulator import SimulatedCluster
from tests.conftest import IN_CI
from tests.faults.harness import served_sync
from tests.helpers import until
from tests.sync.harness import converge


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        problem = f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
        if IN_CI:
            pytest.fail(f"the full-disk tests must run in CI: {problem}")
        pytest.skip(problem)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk``; returns the file to delete to free them."""
    filler = disk / "filler"
    block = b"\0" * 65536
    # Unbuffered: a buffered writer keeps the bytes that did not fit and fails
    # again when it is closed.
    with filler.open("wb", buffering=0) as handle:
        while block:
            try:
                handle.write(block)
            except OSError:
                block = block[: len(block) // 2]
    return filler


async def test_a_full_disk_delays_changes_and_loses_none(small_disk: Path, tmp_path: Path) -> None:
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(150)
    url = f"sqlite://{small_disk / 'inventory.sqlite3'}"
    async with (
        cluster.serving() as running,
        served_sync(url, tmp_path, cluster, running.write_kubeconfig(tmp_path / "kc")) as synced,
    ):
        await converge(synced.store, cluster)
        filler = fill(small_disk)
        try:
            await cluster.start_churn(100, seed=5)
            await until(
                lambda: synced.service.writer.unavailable is not None,
                20,
                "the writer notices the full disk",
            )
            assert "full" in (synced.service.writer.unavailable or "")
            await until(lambda: synced.phase() == "DEGRADED", 5, "the cluster turns DEGRADED")
            status, body = await synced.readiness()
            assert status == 503, body
        finally:
            filler.unlink()
        await until(
            lambda: synced.service.writer.unavailable is None, 30, "the writer commits again"
        )
        await cluster.stop_churn()
        await converge(synced.store, cluster, within=60)
        await until(lambda: synced.phase() == "SYNCED", 10, "the cluster is SYNCED again")
        assert synced.service.writer.rejected_rows == 0
        status, body = await synced.readiness()
        assert status == 200, body


def test_starting_on_a_full_disk_is_one_clear_error(small_disk: Path) -> None:
    fill(small_disk)
    env = {**os.environ, "GRAPHQL_SERVER_DATA_DIR": str(small_disk / "data")}
    env.pop("GRAPHQL_SERVER_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "graphql_server", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if "graphql-server:" in line]
    assert len(errors) == 1, done.stderr
    assert "No space left on device" in errors[0], done.stderr
