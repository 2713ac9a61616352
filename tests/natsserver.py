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

    def start(self) -> None:
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
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nats-server did not start listening")

    def stop(self, *, kill: bool = False) -> None:
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

    async def restart(self, downtime: float = 0.5) -> None:
        self.stop()
        await asyncio.sleep(downtime)
        self.start()

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
