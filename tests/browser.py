"""Headless Chromium for browser tests, through Playwright, with nothing reachable
but loopback, and a record of what each page asked for and complained about."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    WebSocket,
    async_playwright,
)

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:")

# Every host but loopback is unresolvable and every proxied request goes nowhere.
OFFLINE_ARGS = [
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if IN_CI:
        pytest.fail(
            f"Chromium is required in CI but {CHROMIUM} is missing (.ci/packages installs it)"
        )
    pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    binary = chromium_or_skip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=binary, args=OFFLINE_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Watched:
    """What a page requested (HTTP and websockets) and the errors it reported."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL)]

    async def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path


def watch(page: Page) -> Watched:
    watched = Watched(page)

    def on_request(request: Request) -> None:
        watched.requests.append(request.url)

    def on_socket(socket: WebSocket) -> None:
        watched.requests.append(socket.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    def on_error(error: Exception) -> None:
        watched.errors.append(f"uncaught: {error}")

    page.on("request", on_request)
    page.on("websocket", on_socket)
    page.on("console", on_console)
    page.on("pageerror", on_error)
    return watched
