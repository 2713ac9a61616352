"""Shared fixtures: databases (SQLite always, PostgreSQL where it runs), a real
server on a loopback port, and a guard against leaked tasks."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn

from graphql_server.api.context import Services
from graphql_server.app import Component, create_app
from graphql_server.broker import Broker, InProcessBroker
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.websocket_protocol import CoalescingWebSocketProtocol

IN_CI = os.environ.get("CI", "").lower() == "true"
KUBECTL_DIR = Path(os.environ.get("KUBECTL_DIR", "/usr/lib/google-cloud-sdk/bin"))
KUBECTL_VERSION = "1.33"  # the newest the Google Cloud CLI installs here
POSTGRES_ADMIN_URL = os.environ.get(
    "GRAPHQL_SERVER_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"
)


def installed_kubectl(version: str = KUBECTL_VERSION) -> Path:
    """The kubectl ``version`` the Google Cloud CLI installs in ``KUBECTL_DIR``.

    Without it the test is skipped, or failed when ``CI=true``: CI installs it
    (``.ci/packages``), so a missing binary there is a broken setup, not a reason to
    pass silently.
    """
    binary = KUBECTL_DIR / f"kubectl.{version}"
    if not os.access(binary, os.X_OK):
        message = f"kubectl {version} is not installed at {binary}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _postgres_reachable() -> str | None:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(POSTGRES_ADMIN_URL), 3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    problem = await _postgres_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {problem}")
    name = f"gs_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Every store-touching test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'inventory.sqlite3'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url)
    try:
        yield opened
    finally:
        await opened.close()


@dataclass
class RunningServer:
    url: str
    ws_url: str
    port: int
    services: Services

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"


@asynccontextmanager
async def serving(
    settings: Settings,
    *,
    broker: Broker | None = None,
    components: tuple[Component, ...] = (),
) -> AsyncIterator[RunningServer]:
    """uvicorn serving the real app on a free loopback port in this event loop."""
    port = settings.port or free_port()
    settings = settings.with_changes(port=port, host="127.0.0.1")
    app = create_app(settings, broker=broker, components=components)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
        ws=CoalescingWebSocketProtocol,
        ws_max_size=settings.max_request_bytes,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="test-uvicorn")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped before it started")
            await asyncio.sleep(0.02)
        yield RunningServer(
            url=f"http://127.0.0.1:{port}",
            ws_url=f"ws://127.0.0.1:{port}/graphql",
            port=port,
            services=app.state.services,
        )
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, port=free_port())
    async with serving(settings, broker=InProcessBroker()) as running:
        yield running


@pytest.fixture(autouse=True)
async def no_leaked_tasks() -> AsyncIterator[None]:
    before = set(asyncio.all_tasks())
    yield
    await asyncio.sleep(0)
    leaked: list[Any] = [
        t for t in asyncio.all_tasks() - before if not t.done() and t is not asyncio.current_task()
    ]
    if leaked:
        # A server's connection handlers may take a moment to wind down after it stops;
        # a leak is a task that does not end by itself.
        _, still = await asyncio.wait(leaked, timeout=2)
        leaked = list(still)
    if leaked:
        for task in leaked:
            task.cancel()
        await asyncio.gather(*leaked, return_exceptions=True)
        names = sorted(f"{t.get_name()} ({t.get_coro()!r})" for t in leaked)
        pytest.fail(f"test leaked tasks: {names}")
