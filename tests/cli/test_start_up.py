"""``serve`` changes nothing until it knows it can run: a second server on the same
data directory or port refuses at once, and the first one and its data are untouched."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.cli.commands import ServerProcess, background, command
from tests.conftest import free_port

CLUSTERS = "{ clusters { name sync { phase } } }"


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def _clusters(base: str) -> list[dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/graphql", json={"query": CLUSTERS}) as response,
    ):
        body = await response.json()
    return list(body["data"]["clusters"])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path, int]]:
    data_dir, port = tmp_path / "first", free_port()
    args = ["serve", "--demo", "--demo-objects", "50", "--demo-churn", "0"]
    with background(
        *args, "--port", str(port), "--data-dir", str(data_dir), log=tmp_path / "first.log"
    ) as first:
        first.wait_for("serving GraphQL at")
        yield first, data_dir, port
        code, seconds = first.stop(signal.SIGTERM)
        assert code == 0, first.output()
        assert seconds < 8


async def _connected(base: str, within: float = 30) -> list[dict[str, str]]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        clusters = await _clusters(base)
        if clusters and all(c["sync"]["phase"] == "SYNCED" for c in clusters):
            return clusters
        assert asyncio.get_running_loop().time() < deadline, clusters
        await asyncio.sleep(0.2)


async def test_a_second_server_on_the_same_data_dir_refuses_and_touches_nothing(
    demo: tuple[ServerProcess, Path, int],
) -> None:
    first, data_dir, port = demo
    base = f"http://127.0.0.1:{port}"
    await _connected(base)
    kubeconfig = data_dir / "demo-kubeconfig"
    before = {name: (data_dir / name).read_bytes() for name in ("demo-kubeconfig", "server-id")}
    stamp = kubeconfig.stat().st_mtime_ns
    second = command("serve", "--demo", "--port", str(free_port()), "--data-dir", str(data_dir))
    line = second.refused(f"in use by another graphql-server (pid {first.pid})", within=10)
    assert str(data_dir) in line
    assert {name: (data_dir / name).read_bytes() for name in before} == before
    assert kubeconfig.stat().st_mtime_ns == stamp
    assert (data_dir / "graphql-server.lock").read_text().strip() == str(first.pid)
    # The first server still serves its demo cluster, at the address it wrote.
    assert await _connected(base) == [{"name": "demo", "sync": {"phase": "SYNCED"}}]
    server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    status, _ = await _get(f"{server}/version")
    assert status == 200
    status, body = await _get(f"{base}/readyz")
    assert (status, json.loads(body)["ready"]) == (200, True)
    # Migrating or re-keying the live data directory is refused the same way.
    command("migrate", "--data-dir", str(data_dir)).refused(f"pid {first.pid}", within=10)
    command("rotate-key", "--data-dir", str(data_dir)).refused(f"pid {first.pid}", within=10)
    assert {name: (data_dir / name).read_bytes() for name in before} == before


async def test_a_busy_port_is_refused_before_anything_is_written(
    demo: tuple[ServerProcess, Path, int], tmp_path: Path
) -> None:
    first, first_dir, port = demo
    other = tmp_path / "second"
    second = command("serve", "--demo", "--port", str(port), "--data-dir", str(other))
    second.refused(f"port {port} is already in use", within=10)
    # Only the lock was taken: no database, no server id, no key, no demo kubeconfig.
    assert sorted(p.name for p in other.iterdir()) == ["graphql-server.lock"]
    assert (other / "graphql-server.lock").read_text() == ""
    assert await _connected(f"http://127.0.0.1:{port}") == [
        {"name": "demo", "sync": {"phase": "SYNCED"}}
    ]
    assert first.child is not None
    assert first.child.poll() is None
    assert (first_dir / "graphql-server.lock").read_text().strip() == str(first.pid)


def test_the_lock_is_released_when_the_server_stops(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    args = ["serve", "--port", str(free_port()), "--data-dir", str(data_dir)]
    for run in range(2):  # the second start finds the lock file, free
        with background(*args, log=tmp_path / f"run{run}.log") as server:
            server.wait_for("serving GraphQL at")
            assert (data_dir / "graphql-server.lock").read_text().strip() == str(server.pid)
            code, seconds = server.stop(signal.SIGINT)
            assert (code, seconds < 8) == (0, True), server.output()
