"""The web console served at ``/``, driven by role and accessible name in Chromium
against ``serve --demo``: it loads from the server alone, takes the discovered
Prometheus through the registration modal to CONNECTED, manages credentials, and
follows changes made elsewhere live. Screenshots of each page go to
artifacts/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from tests.browser import Watched
from tests.console.conftest import Demo

PROMETHEUS = "metrics-store.monitoring"
GRAFANA = "dashboards.monitoring"
PAGES = ["Connections", "Credentials", "Environments", "Inventory", "Notifications"]
TRANSITION = (
    "mutation ($id: ID!, $s: ConnectionStatus!) "
    "{ transitionConnection(id: $id, status: $s) { status } }"
)


def row(page: Page, name: str) -> Locator:
    table = page.get_by_role("table", name="Connections")
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))


def status(page: Page, name: str) -> Locator:
    """The status cell of a connection's row (after the name and the kind)."""
    return row(page, name).get_by_role("cell").nth(1)


async def open_console(console: Watched, demo: Demo) -> Page:
    page = console.page
    await page.goto(f"{demo.url}/")
    await expect(row(page, PROMETHEUS)).to_be_visible()
    return page


async def test_every_page_loads_from_the_server_alone_without_errors(
    console: Watched, demo: Demo
) -> None:
    page = await open_console(console, demo)
    await expect(status(page, PROMETHEUS)).to_have_text("DISCOVERED")
    await expect(row(page, PROMETHEUS).get_by_role("button", name="Register")).to_be_visible()
    await expect(status(page, "demo")).to_have_text("CONNECTED")
    # Registry icons are images from data: URLs, never markup in the page.
    icon = row(page, "demo").locator("img")
    assert (await icon.get_attribute("src") or "").startswith("data:image/svg+xml")
    await expect(page.get_by_role("table", name="Connections").locator("svg")).to_have_count(0)
    await console.screenshot("connections")
    nav = page.get_by_role("navigation", name="Console")
    for title in PAGES:
        await nav.get_by_role("link", name=title, exact=True).click()
        await expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        await expect(nav.get_by_role("link", name=title, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        if title == "Inventory":
            await expect(page.get_by_role("table", name="Resources")).to_be_visible()
            await expect(page.get_by_role("heading", name="demo")).to_be_visible()
        if title == "Notifications":
            await expect(page.get_by_role("list", name="Notification entries")).to_contain_text(
                PROMETHEUS
            )
        await console.screenshot(title.lower())
    # The bell opens the notification centre as a drawer.
    await page.get_by_role("button", name=re.compile(r"Notification centre, \d+ unread")).click()
    drawer = page.get_by_role("complementary", name="Notification centre")
    await expect(drawer.get_by_role("button", name="Mark all read")).to_be_visible()
    await console.screenshot("notification-drawer", full_page=False)
    await page.keyboard.press("Escape")
    await expect(drawer).to_be_hidden()
    assert console.requests, "no request was recorded"
    assert any(url.startswith("ws://127.0.0.1") for url in console.requests), console.requests
    assert console.outside() == [], f"the console reached beyond the server: {console.outside()}"
    assert console.errors == [], console.errors


async def test_the_registration_modal_takes_the_prometheus_to_connected(
    console: Watched, demo: Demo
) -> None:
    page = await open_console(console, demo)
    register = row(page, PROMETHEUS).get_by_role("button", name="Register")
    dialog = page.get_by_role("dialog", name=f"Register {PROMETHEUS}")
    # From the keyboard: the dialog opens with the focus inside and Escape closes it.
    await register.focus()
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator(":focus")).to_have_count(1)
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await register.click()
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("list", name="Fingerprinting evidence")).to_contain_text(
        "prometheus"
    )
    # An environment created inline is chosen at once.
    await dialog.get_by_label("New environment").fill("staging")
    await dialog.get_by_role("button", name="Create environment").click()
    await expect(dialog.get_by_role("checkbox", name="staging")).to_be_checked()
    await expect(dialog.get_by_role("radio", name="No credential")).to_be_checked()
    await dialog.get_by_role("combobox", name="Metrics to listen to").fill("up")
    await dialog.get_by_role("button", name="Add to Metrics to listen to").click()
    await expect(dialog.get_by_role("list", name="Metrics to listen to")).to_contain_text("up")

    await dialog.get_by_role("button", name="Test", exact=True).click()
    outcome = dialog.get_by_role("status").filter(has_text="Test passed")
    await expect(outcome).to_contain_text("Prometheus 2.53.0")
    await expect(outcome).to_contain_text("CONNECTED")
    await console.screenshot("registration-modal", full_page=False)

    await dialog.get_by_role("button", name="Register", exact=True).click()
    result = dialog.get_by_role("status").filter(has_text="Registered")
    await expect(result).to_contain_text("CONNECTED")
    await console.screenshot("registration-done", full_page=False)
    await dialog.get_by_role("button", name="Done").click()
    await expect(dialog).to_be_hidden()
    await expect(status(page, PROMETHEUS)).to_have_text("CONNECTED")
    await expect(row(page, PROMETHEUS)).to_contain_text("staging")
    assert (await demo.connection(PROMETHEUS))["status"] == "CONNECTED"
    assert console.errors == [], console.errors


async def test_a_credential_is_created_and_assigned_to_two_connections(
    console: Watched, demo: Demo
) -> None:
    await demo.post(
        "mutation ($input: RegisterConnectionInput!) { registerConnection(input: $input) "
        "{ connection { id } } }",
        {"input": {"kind": "prometheus", "name": "edge-prometheus", "url": "http://127.0.0.1:9"}},
    )
    page = await open_console(console, demo)
    await page.get_by_role("link", name="Credentials", exact=True).click()
    await page.get_by_role("button", name="New credential").click()
    dialog = page.get_by_role("dialog", name="New credential")
    await dialog.get_by_label("Name", exact=True).fill("shared-basic")
    await dialog.get_by_label("Connection kind").select_option(label="Prometheus")
    await dialog.get_by_label("Credential type").select_option(label="Basic authentication")
    await dialog.get_by_label("Username").fill("scraper")
    password = dialog.get_by_label("Password")
    await expect(password).to_have_attribute("type", "password")
    await password.fill("s3cret-value")
    await dialog.get_by_role("button", name="Create credential").click()
    await expect(dialog).to_be_hidden()

    credentials = page.get_by_role("table", name="Credentials")
    line = credentials.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="shared-basic")
    )
    await expect(line).to_contain_text("username: scraper")
    await expect(line).not_to_contain_text("s3cret-value")
    await line.get_by_role("button", name="Assign").click()
    assign = page.get_by_role("dialog", name="Assign shared-basic")
    await assign.get_by_role("checkbox", name=re.compile(PROMETHEUS)).check()
    await assign.get_by_role("checkbox", name=re.compile("edge-prometheus")).check()
    await assign.get_by_role("button", name="Assign").click()
    await expect(assign).to_be_hidden()
    await expect(line).to_contain_text(PROMETHEUS)
    await expect(line).to_contain_text("edge-prometheus")
    await console.screenshot("credential-assigned")
    for name in (PROMETHEUS, "edge-prometheus"):
        assert (await demo.connection(name))["credential"] == {"name": "shared-basic"}

    # Tested against a chosen connection: the edge one does not answer.
    await line.get_by_role("button", name="Test").click()
    tester = page.get_by_role("dialog", name="Test shared-basic")
    await tester.get_by_label("Connection").select_option(label="edge-prometheus (REGISTERED)")
    await tester.get_by_role("button", name="Test").click()
    await expect(tester.get_by_role("status")).to_contain_text("Test failed")
    await tester.get_by_role("button", name="Close").click()

    # Edited: renamed, the secret kept unless typed again.
    await line.get_by_role("button", name="Edit").click()
    editor = page.get_by_role("dialog", name="Edit shared-basic")
    await expect(editor.get_by_label("Password")).to_have_value("")
    await expect(editor.get_by_label("Username")).to_have_value("scraper")
    await editor.get_by_label("Name", exact=True).fill("shared-basic")
    await editor.get_by_label("Username").fill("scraper-2")
    await editor.get_by_role("button", name="Save").click()
    await expect(editor).to_be_hidden()
    await expect(line).to_contain_text("username: scraper-2")
    await expect(line).to_contain_text("password: ••••••")

    # In use: deleting is refused, naming the connections, until forced.
    await line.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete shared-basic")
    await confirm.get_by_role("button", name="Delete", exact=True).click()
    await expect(confirm.get_by_role("alert")).to_contain_text("edge-prometheus")
    await confirm.get_by_role("button", name="Delete anyway").click()
    await expect(confirm).to_be_hidden()
    await expect(line).to_have_count(0)
    assert console.errors == [], console.errors


async def _unread(page: Page) -> int:
    label = page.get_by_role("button", name=re.compile(r"Notification centre, \d+ unread"))
    await expect(label).to_be_visible()
    found = re.search(r"(\d+) unread", (await label.get_attribute("aria-label")) or "")
    assert found is not None
    return int(found.group(1))


async def test_a_status_change_made_through_the_api_shows_live(
    console: Watched, demo: Demo
) -> None:
    page = await open_console(console, demo)
    await expect(status(page, GRAFANA)).to_have_text("DISCOVERED")
    before = await _unread(page)
    await page.evaluate("window.notReloaded = true")
    grafana = await demo.connection(GRAFANA)
    await demo.post(TRANSITION, {"id": grafana["id"], "s": "IGNORED"})

    await expect(status(page, GRAFANA)).to_have_text("IGNORED")
    # The move is logged; the bell takes the new count from its subscription.
    bell = page.get_by_role("button", name=re.compile(r"Notification centre, \d+ unread"))
    await expect(bell).not_to_have_accessible_name(f"Notification centre, {before} unread")
    assert await _unread(page) > before
    assert await page.evaluate("window.notReloaded") is True
    await console.screenshot("live-status-change")

    # The row's own moves come from allowedTransitions.
    grafana_row = row(page, GRAFANA)
    await grafana_row.get_by_label(f"New status of {GRAFANA}").select_option("REGISTERED")
    await grafana_row.get_by_role("button", name="Move").click()
    await expect(status(page, GRAFANA)).to_have_text("REGISTERED")
    assert (await demo.connection(GRAFANA))["status"] == "REGISTERED"

    # Reading the notifications lowers the count, live as well.
    await page.get_by_role("button", name=re.compile("Notification centre")).click()
    await (
        page.get_by_role("complementary", name="Notification centre")
        .get_by_role("button", name="Mark all read")
        .click()
    )
    await expect(page.get_by_role("button", name="Notification centre, 0 unread")).to_be_visible()
    assert console.errors == [], console.errors
