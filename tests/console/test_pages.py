"""The environments and inventory pages, driven by role and name."""

from __future__ import annotations

import re

from playwright.async_api import Dialog, expect

from tests.browser import Watched
from tests.console.conftest import Demo
from tests.console.test_console import open_console, row


async def test_environments_are_created_renamed_assigned_and_deleted(
    console: Watched, demo: Demo
) -> None:
    page = await open_console(console, demo)

    async def confirm(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", confirm)
    await page.get_by_role("link", name="Environments", exact=True).click()
    form = page.get_by_role("form", name="New environment")
    await form.get_by_label("Name").fill("prod")
    await form.get_by_label("Description").fill("what customers use")
    await form.get_by_role("button", name="Create environment").click()
    await expect(page.get_by_role("heading", name="prod", exact=True)).to_be_visible()

    await page.get_by_role("button", name="Rename prod").click()
    await page.get_by_label("New name of prod").fill("production")
    await page.get_by_role("button", name="Save").click()
    card = page.get_by_role("article", name="production")
    await expect(card).to_be_visible()

    await card.get_by_label("Connection to add to production").select_option(
        label="demo (kubernetes)"
    )
    await card.get_by_role("button", name="Assign to production").click()
    await expect(card.get_by_role("list", name="Connections in production")).to_contain_text("demo")
    await console.screenshot("environment-assigned")

    await page.get_by_role("link", name="Connections", exact=True).click()
    await page.get_by_label("Environment").select_option(label="production")
    await expect(row(page, "demo")).to_contain_text("production")
    await expect(page.get_by_role("table", name="Connections").get_by_role("row")).to_have_count(2)

    await page.get_by_role("link", name="Environments", exact=True).click()
    await card.get_by_role("button", name="Unassign demo from production").click()
    await expect(card.get_by_text("No connection.")).to_be_visible()
    await card.get_by_role("button", name="Delete production").click()
    await expect(card).to_have_count(0)
    assert (await demo.post("{ environments { name } }"))["environments"] == []
    assert console.errors == [], console.errors


async def test_the_inventory_pages_filters_and_shows_relations(
    console: Watched, demo: Demo
) -> None:
    page = await open_console(console, demo)
    await page.get_by_role("link", name="Inventory", exact=True).click()
    cluster = page.get_by_role("article", name="demo")
    await expect(cluster.get_by_text("SYNCED", exact=True).first).to_be_visible()
    await cluster.get_by_text(re.compile(r"Sync status of \d+ resource types")).click()
    kinds = cluster.get_by_role("table", name="Sync status of demo")
    await expect(kinds.get_by_role("rowheader", name="Pod", exact=True)).to_be_visible()

    resources = page.get_by_role("table", name="Resources")
    pages = page.get_by_role("navigation", name="Resource pages")
    await expect(page.get_by_text(re.compile(r"\d+ resources · page 1"))).to_be_visible()
    first = await resources.get_by_role("rowheader").first.inner_text()
    await pages.get_by_role("button", name="Next page").click()
    await expect(page.get_by_text(re.compile(r"\d+ resources · page 2"))).to_be_visible()
    await expect(resources.get_by_role("rowheader").first).not_to_have_text(first)
    await pages.get_by_role("button", name="Previous page").click()
    await expect(resources.get_by_role("rowheader").first).to_have_text(first)

    filters = page.get_by_role("search", name="Filter resources")
    await filters.get_by_label("Kind").select_option("Deployment")
    await expect(resources.get_by_role("cell", name="Pod", exact=True)).to_have_count(0)
    await filters.get_by_label("Label selector").fill("app")
    await filters.get_by_label("Label selector").press("Enter")
    await expect(page.get_by_text(re.compile(r"\d+ resources · page 1"))).to_be_visible()
    name = await resources.get_by_role("rowheader").first.inner_text()
    await resources.get_by_role("button", name=f"Owners and children of {name.strip()}").click()
    related = page.get_by_role("complementary", name="Owners and children")
    await expect(related).to_contain_text("ReplicaSet")
    await console.screenshot("inventory-relations")
    assert console.errors == [], console.errors


async def test_notifications_group_repeats_with_their_cause_and_fix(
    console: Watched, demo: Demo
) -> None:
    registered = await demo.post(
        "mutation ($input: RegisterConnectionInput!) { registerConnection(input: $input) "
        "{ connection { id } } }",
        {"input": {"kind": "prometheus", "name": "edge-prometheus", "url": "http://127.0.0.1:9"}},
    )
    edge = registered["registerConnection"]["connection"]["id"]
    test = "mutation ($id: ID!) { testConnection(input: {connectionId: $id}) { ok } }"
    for _ in range(3):
        assert (await demo.post(test, {"id": edge}))["testConnection"] == {"ok": False}

    page = await open_console(console, demo)
    await page.get_by_role("link", name="Notifications", exact=True).click()
    filters = page.get_by_role("search", name="Filter notifications")
    await filters.get_by_label("Severity").select_option("WARNING")
    await filters.get_by_label("Category").select_option("connectivity_test")
    entries = page.get_by_role("list", name="Notification entries").get_by_role("listitem")
    repeated = entries.filter(has_text=re.compile(r"repeated [2-9] times"))
    await expect(repeated).to_have_count(1)
    await expect(repeated).to_contain_text("Probable cause: Nothing accepts connections")
    await expect(repeated).to_contain_text("Suggested fix:")
    await expect(entries.filter(has_text="metrics-store")).to_have_count(0)
    await console.screenshot("notifications-filtered")

    await repeated.get_by_role("button", name="Mark read").click()
    await expect(repeated.get_by_role("button", name="Mark read")).to_have_count(0)
    await repeated.get_by_role("button", name="Delete").click()
    await expect(entries.filter(has_text=re.compile(r"repeated [2-9] times"))).to_have_count(0)
    assert console.errors == [], console.errors
