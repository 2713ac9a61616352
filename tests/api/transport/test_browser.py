"""GraphiQL in a real headless Chromium with no network beyond loopback: the page loads
from the server alone, runs a query and a subscription, and shows their results.

Drives Chromium over the DevTools protocol; saves artifacts/graphiql.png.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.api.inventory.seed import C1, apply, resource, seed, wait_for_feeds
from tests.conftest import IN_CI, RunningServer, free_port, serving

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"


def chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if IN_CI:
        pytest.fail(
            f"Chromium is required in CI but {CHROMIUM} is missing (.ci/packages installs it)"
        )
    pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")


class DevTools:
    """A minimal DevTools protocol client for one page."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if message.get("id") == call_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            self.events.append(message)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 30) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            await asyncio.sleep(0.2)


async def _page_websocket(port: int, url: str) -> str:
    async with aiohttp.ClientSession() as session:
        for _ in range(150):
            try:
                async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                    targets = await response.json()
            except aiohttp.ClientError:
                targets = []
            for target in targets:
                if target.get("type") == "page" and target.get("url", "").startswith(url):
                    return str(target["webSocketDebuggerUrl"])
            await asyncio.sleep(0.1)
    raise AssertionError("Chromium did not open the page")


@asynccontextmanager
async def chromium(binary: str, url: str, profile: Path) -> AsyncIterator[DevTools]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--remote-debugging-port={port}",
        "--remote-allow-origins=*",
        # Nothing but loopback: every other host is unresolvable and proxied to nowhere.
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1400,900",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        page = await _page_websocket(port, url)
        async with websockets.connect(page, max_size=64 * 2**20) as ws:
            yield DevTools(ws)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


@pytest.fixture
async def browser_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(database_url=f"sqlite://{tmp_path / 'db.sqlite3'}", port=free_port())
    async with serving(settings, broker=InProcessBroker()) as running:
        await seed(running)
        yield running


RESPONSE = "(document.querySelector('.graphiql-response') || {}).innerText || ''"


async def test_graphiql_runs_a_query_and_a_subscription_offline(
    browser_server: RunningServer, tmp_path: Path
) -> None:
    binary = chromium_or_skip()
    url = browser_server.graphql
    async with chromium(binary, url, tmp_path / "profile") as devtools:
        await devtools.call("Network.enable")
        await devtools.wait_for("!!document.querySelector('.graphiql-execute-button')")
        # The first tab holds the clusters query.
        await devtools.evaluate("document.querySelector('.graphiql-execute-button').click()")
        text = await devtools.wait_for(
            f"(() => {{ const t = {RESPONSE}; return t.includes('v1.31.0') && t; }})()"
        )
        assert '"clusters"' in text
        assert '"dev"' in text
        assert C1 in text
        ARTIFACTS.mkdir(exist_ok=True)
        shot = await devtools.call("Page.captureScreenshot", format="png")
        (ARTIFACTS / "graphiql.png").write_bytes(base64.b64decode(shot["data"]))

        # The subscription tab, over this origin's websocket (graphql-transport-ws).
        opened = await devtools.evaluate(
            "(() => { const tab = [...document.querySelectorAll('.graphiql-tab-button')]"
            ".find(b => b.innerText.includes('PodChanges')); if (!tab) return false;"
            " tab.click(); return true; })()"
        )
        assert opened, "no PodChanges tab"
        await devtools.wait_for(
            "(document.querySelector('.graphiql-query-editor') || {}).innerText"
            "?.includes('resourceEvents')"
        )
        await asyncio.sleep(1)  # GraphiQL takes the tab's operation name after an edit cycle
        await devtools.evaluate("document.querySelector('.graphiql-execute-button').click()")
        await wait_for_feeds(browser_server)
        await apply(browser_server, [resource("live", "live-pod", labels={"app": "web"})])
        text = await devtools.wait_for(
            f"(() => {{ const t = {RESPONSE}; return t.includes('live-pod') && t; }})()"
        )
        assert '"ADDED"' in text
        shot = await devtools.call("Page.captureScreenshot", format="png")
        (ARTIFACTS / "graphiql-subscription.png").write_bytes(base64.b64decode(shot["data"]))
    requested = [
        event["params"]["request"]["url"]
        for event in devtools.events
        if event.get("method") == "Network.requestWillBeSent"
    ]
    assert requested, "no network activity was recorded"
    outside = [u for u in requested if not u.startswith(("http://127.0.0.1", "data:"))]
    assert outside == [], f"the page reached beyond the server: {outside}"
