"""A test-owned nats-server (JetStream, storage in a temporary directory) on a free port.

Tests that need NATS to fail start their own server with this and stop, restart or
kill it; the storage directory survives restarts, so streams and their messages do
too. Without the binary a test is skipped, or fails under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, free_port

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def require_nats_server() -> None:
    if Path(NATS_SERVER).exists():
        return
    if IN_CI:
        pytest.fail(f"nats-server is required in CI but {NATS_SERVER} does not exist")
    pytest.skip(f"nats-server not installed ({NATS_SERVER})")


class NatsServer:
    def __init__(self, storage: Path, port: int | None = None) -> None:
        require_nats_server()
        self.storage = storage
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = storage / "nats-server.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def _launch(self) -> None:
        self.storage.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                NATS_SERVER,
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.storage / "jetstream"),
                "-l",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"nats-server exited: {self.log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def start(self) -> None:
        """Start and wait until it listens (for fixtures, outside any event loop)."""
        self._launch()
        deadline = time.monotonic() + 10
        while not self._listening():
            if time.monotonic() > deadline:
                raise RuntimeError("nats-server did not start listening")
            time.sleep(0.02)

    async def start_async(self) -> None:
        """Start and wait until it listens, without blocking the running event loop."""
        self._launch()
        deadline = time.monotonic() + 10
        while not self._listening():
            if time.monotonic() > deadline:
                raise RuntimeError("nats-server did not start listening")
            await asyncio.sleep(0.02)

    def stop(self, *, kill: bool = False) -> None:
        """Stop it (for fixtures, outside any event loop)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    async def stop_async(self, *, kill: bool = False) -> None:
        """Stop it and wait until it has exited, without blocking the running event loop."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        deadline = time.monotonic() + 10
        while process.poll() is None:
            if time.monotonic() > deadline:
                process.kill()
                deadline = time.monotonic() + 5
            await asyncio.sleep(0.02)

    async def restart(self, downtime: float = 0.5) -> None:
        await self.stop_async()
        await asyncio.sleep(downtime)  # the server stays away this long, on purpose
        await self.start_async()

    def wipe(self) -> None:
        """Forget every stream (as a server whose storage was lost)."""
        shutil.rmtree(self.storage / "jetstream", ignore_errors=True)


def machine_nats_url() -> str:
    return os.environ.get("GRAPHQL_SERVER_TEST_NATS", "nats://127.0.0.1:4222")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of the test's own (import this fixture into the test module)."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()
