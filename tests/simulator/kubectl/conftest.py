"""Fixtures driving the installed kubectl binaries against a served simulated cluster.

``kubectl`` is parametrised over the versions the Google Cloud CLI installs (1.27 and
1.33, the oldest and newest the simulator is held to); a missing binary skips the test,
or fails it when ``CI=true``. Every test gets a fresh cluster and its own kubectl cache.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphql_server.simulator import RunningSimulator, SimulatedCluster

from ...conftest import installed_kubectl

VERSIONS = ("1.27", "1.33")


@dataclass
class Kubectl:
    """One kubectl binary pointed at one simulated cluster."""

    binary: Path
    version: str
    kubeconfig: Path
    cache: Path
    running: RunningSimulator[SimulatedCluster]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def cluster(self) -> SimulatedCluster:
        return self.running.cluster

    async def run(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        command = [str(self.binary), "--kubeconfig", str(self.kubeconfig)]
        command += ["--cache-dir", str(self.cache), *args]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "HOME": str(self.cache), **self.env, **(env or {})},
        )
        async with asyncio.timeout(60):
            out, err = await process.communicate(None if stdin is None else stdin.encode())
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    async def ok(self, *args: str, stdin: str | None = None, **kw: Any) -> str:
        code, out, err = await self.run(*args, stdin=stdin, **kw)
        assert code == 0, f"kubectl {self.version} {' '.join(args)} failed ({code}): {err}"
        return out

    async def fails(self, *args: str, stdin: str | None = None) -> str:
        code, out, err = await self.run(*args, stdin=stdin)
        assert code != 0, f"kubectl {self.version} {' '.join(args)} succeeded: {out}"
        return err

    async def json(self, *args: str) -> Any:
        return orjson.loads(await self.ok(*args, "-o", "json"))

    async def raw(self, path: str) -> Any:
        return orjson.loads(await self.ok("get", "--raw", path))


@pytest.fixture(params=VERSIONS, ids=[f"kubectl-{v}" for v in VERSIONS])
async def kubectl(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Kubectl]:
    binary = installed_kubectl(request.param)
    cluster = SimulatedCluster("kubectl", seed=3)
    async with cluster.serving() as running:
        path = running.write_kubeconfig(tmp_path / "kubeconfig.json")
        cache = tmp_path / "home"
        cache.mkdir()
        yield Kubectl(binary, request.param, path, cache, running)
