"""The console against ``graphql-server serve --demo`` run as a person would (a
subprocess on a free port with its own data directory), in headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser import Watched, chromium, watch
from tests.cli.commands import ServerProcess, background
from tests.conftest import free_port
from tests.helpers import post

# Waits are on what the page shows, for as long as a loaded machine may need.
expect.set_options(timeout=30_000)


@dataclass
class Demo:
    process: ServerProcess
    url: str

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str = ""
    ) -> Any:
        """A GraphQL request over HTTP, as any other client would send it."""
        headers = {"authorization": f"Bearer {token}"} if token else None
        status, answer = await post(f"{self.url}/graphql", query, variables, headers)
        assert status == 200, answer
        assert not answer.get("errors"), answer
        return answer["data"]

    async def connection(self, name: str, token: str = "") -> dict[str, Any]:
        data = await self.post(
            "query ($s: String) { connections(filter: {search: $s}) "
            "{ edges { node { id name kind status credential { name } } } } }",
            {"s": name},
            token,
        )
        found = [e["node"] for e in data["connections"]["edges"] if e["node"]["name"] == name]
        assert len(found) == 1, data
        return dict(found[0])


def start_demo(tmp_path: Path, *extra: str) -> Iterator[Demo]:
    port = free_port()
    args = ["serve", "--demo", "--demo-objects", "300", "--demo-churn", "0.5"]
    args += ["--port", str(port), "--data-dir", str(tmp_path / "data"), *extra]
    with background(*args, log=tmp_path / "serve.log") as process:
        process.wait_for("serving GraphQL at")
        yield Demo(process, f"http://127.0.0.1:{port}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    yield from start_demo(tmp_path)


@pytest.fixture
async def console() -> AsyncIterator[Watched]:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(30_000)
        page = await context.new_page()
        try:
            yield watch(page)
        finally:
            await context.close()
