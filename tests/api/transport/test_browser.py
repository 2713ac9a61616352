"""GraphiQL in a real headless Chromium with no network beyond loopback: the page loads
from the server alone, runs a query and a subscription, and shows their results.

Drives Chromium through Playwright; saves artifacts/screenshots/graphiql*.png.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.api.inventory.seed import C1, apply, resource, seed, wait_for_feeds
from tests.browser import chromium, watch
from tests.conftest import RunningServer, free_port, serving


@pytest.fixture
async def browser_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(database_url=f"sqlite://{tmp_path / 'db.sqlite3'}", port=free_port())
    async with serving(settings, broker=InProcessBroker()) as running:
        await seed(running)
        yield running


async def test_graphiql_runs_a_query_and_a_subscription_offline(
    browser_server: RunningServer,
) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        watched = watch(page)
        await page.goto(browser_server.graphql)
        run = page.get_by_role("button", name="Execute query")
        response = page.locator(".graphiql-response")
        # The first tab holds the clusters query.
        await run.click()
        await expect(response).to_contain_text("v1.31.0", timeout=30_000)
        text = await response.inner_text()
        assert '"clusters"' in text
        assert '"dev"' in text
        assert C1 in text
        await watched.screenshot("graphiql", full_page=False)

        # The subscription tab, over this origin's websocket (graphql-transport-ws).
        await page.locator(".graphiql-tab-button", has_text="PodChanges").click()
        await expect(page.locator(".graphiql-query-editor")).to_contain_text("resourceEvents")
        # GraphiQL takes the new tab's operation after an edit cycle: until then the
        # button may run nothing, so run again until the subscription is running.
        # ("Execute query" turns into "Stop query" while the subscription runs, so a
        # click on it never stops one that started late.)
        stop = page.get_by_role("button", name="Stop query")
        for _ in range(10):
            if await stop.is_visible():
                break
            await run.click()
            try:
                await expect(stop).to_be_visible(timeout=3_000)
            except AssertionError:
                continue
        await expect(stop).to_be_visible()
        await wait_for_feeds(browser_server)
        await apply(browser_server, [resource("live", "live-pod", labels={"app": "web"})])
        await expect(response).to_contain_text("live-pod", timeout=30_000)
        assert '"ADDED"' in await response.inner_text()
        await watched.screenshot("graphiql-subscription", full_page=False)
    assert watched.requests, "no network activity was recorded"
    assert any(url.startswith("ws://127.0.0.1") for url in watched.requests), watched.requests
    assert watched.outside() == [], f"the page reached beyond the server: {watched.outside()}"
