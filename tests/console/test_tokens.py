"""With access tokens the console asks for one, keeps it for the browser session,
sends it over HTTP and in the websocket's connection_init, and hides mutations from
a read-only token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser import Watched
from tests.console.conftest import Demo, start_demo
from tests.console.test_console import PROMETHEUS, row, status

FULL, READ = "console-full-token", "console-read-token"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Demo]:
    yield from start_demo(tmp_path, "--auth-token", FULL, "--read-token", READ)


async def sign_in(console: Watched, token: str) -> None:
    dialog = console.page.get_by_role("dialog", name="Access token")
    await dialog.get_by_label("Token").fill(token)
    await dialog.get_by_role("button", name="Sign in").click()
    await expect(dialog).to_be_hidden()


async def test_a_read_token_sees_everything_and_changes_nothing(
    console: Watched, guarded: Demo
) -> None:
    page = console.page
    await page.goto(f"{guarded.url}/")
    dialog = page.get_by_role("dialog", name="Access token")
    await dialog.get_by_label("Token").fill("wrong")
    await dialog.get_by_role("button", name="Sign in").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("not valid")
    await sign_in(console, READ)

    await expect(status(page, PROMETHEUS)).to_have_text("DISCOVERED")
    await expect(page.get_by_role("banner").get_by_text("read-only")).to_be_visible()
    await expect(row(page, PROMETHEUS).get_by_role("button")).to_have_count(0)
    # Subscriptions are authenticated too: the unread count arrives over the websocket.
    await expect(
        page.get_by_role("button", name=re.compile(r"Notification centre, \d+ unread"))
    ).to_be_visible()
    await page.get_by_role("link", name="Credentials", exact=True).click()
    await expect(page.get_by_role("heading", name="Credentials", level=1)).to_be_visible()
    await expect(page.get_by_role("button", name="New credential")).to_have_count(0)
    await console.screenshot("read-only")

    # The token lasts for the session: a reload does not ask again.
    assert await page.evaluate("sessionStorage.length") == 1
    await page.reload()
    await expect(page.get_by_role("heading", name="Credentials", level=1)).to_be_visible()
    await expect(page.get_by_role("dialog", name="Access token")).to_have_count(0)

    await page.get_by_role("button", name="Sign out").click()
    await sign_in(console, FULL)
    await page.get_by_role("link", name="Connections", exact=True).click()
    await expect(row(page, PROMETHEUS).get_by_role("button", name="Register")).to_be_visible()
    await expect(page.get_by_role("banner").get_by_text("read-only")).to_have_count(0)
    assert console.outside() == [], console.outside()
    # Chromium logs the refused requests (no token yet, a wrong one); nothing else.
    others = [e for e in console.errors if "status of 401 (Unauthorized)" not in e]
    assert others == [], console.errors
