"""The console reading a Prometheus and the health loop: the registration modal offers
the metric names the demo Prometheus holds, the connections table shows each connected
connection's health as it changes, and a connected Prometheus's "Metrics" panel shows
the values of the metrics it listens to, read live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser import Watched
from tests.console.conftest import Demo, start_demo
from tests.console.test_console import PROMETHEUS, TRANSITION, open_console, row, status

REGISTER = (
    "mutation ($input: RegisterConnectionInput!) { registerConnection(input: $input) "
    "{ connection { id status } } }"
)


@pytest.fixture
def checked_demo(tmp_path: Path) -> Iterator[Demo]:
    """The demo with its connections tested every second."""
    yield from start_demo(tmp_path, "--health-interval", "1")


async def test_metric_suggestions_come_from_the_prometheus(console: Watched, demo: Demo) -> None:
    page = await open_console(console, demo)
    await row(page, PROMETHEUS).get_by_role("button", name="Register").click()
    dialog = page.get_by_role("dialog", name=f"Register {PROMETHEUS}")
    field = dialog.get_by_role("combobox", name="Metrics to listen to")
    options = dialog.locator("datalist option")
    # Every name the demo Prometheus holds, and nothing it does not.
    await expect(dialog.locator('datalist option[value="up"]')).to_have_count(1)
    names = {await o.get_attribute("value") for o in await options.all()}
    assert names == {
        "kube_pod_status_ready",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "prometheus_http_requests_total",
        "up",
    }
    # Typing narrows them to the names starting with what is typed.
    await field.fill("process_")
    await expect(options).to_have_count(2)
    names = {await o.get_attribute("value") for o in await options.all()}
    assert names == {"process_cpu_seconds_total", "process_resident_memory_bytes"}
    # A name the Prometheus does not hold may still be added.
    await field.fill("not_there_yet_total")
    await expect(options).to_have_count(0)
    await dialog.get_by_role("button", name="Add to Metrics to listen to").click()
    listed = dialog.get_by_role("list", name="Metrics to listen to")
    await expect(listed).to_contain_text("not_there_yet_total")
    await expect(dialog.get_by_role("status").filter(has_text="No metric names")).to_have_count(0)
    assert console.errors == [], console.errors


async def test_health_shows_live_and_the_metrics_panel_reads_the_prometheus(
    console: Watched, checked_demo: Demo
) -> None:
    demo = checked_demo
    page = await open_console(console, demo)
    # The demo cluster's connection is CONNECTED and passes its tests.
    health = row(page, "demo").get_by_role("img", name=re.compile(r"^Health "))
    await expect(health).to_have_accessible_name(
        re.compile(r"^Health HEALTHY: 0 failed in a row, last test passed ")
    )
    await expect(health).to_have_attribute("title", re.compile(r"^Health HEALTHY"))
    # A discovered one has no health to show, and no metrics.
    await expect(row(page, PROMETHEUS).get_by_role("img", name=re.compile("Health"))).to_have_count(
        0
    )
    await expect(row(page, PROMETHEUS).get_by_role("button", name="Metrics")).to_have_count(0)

    # Registered elsewhere, listening to two metrics: the row follows, its health too.
    prometheus = await demo.connection(PROMETHEUS)
    registered = await demo.post(
        REGISTER,
        {
            "input": {
                "connectionId": prometheus["id"],
                "registration": {"metrics": ["up", "process_cpu_seconds_total"]},
            }
        },
    )
    assert registered["registerConnection"]["connection"]["status"] == "CONNECTED"
    await expect(status(page, PROMETHEUS)).to_have_text("CONNECTED")
    await expect(
        row(page, PROMETHEUS).get_by_role("img", name=re.compile(r"^Health HEALTHY"))
    ).to_be_visible()

    button = row(page, PROMETHEUS).get_by_role("button", name="Metrics")
    await expect(button).to_have_attribute("aria-expanded", "false")
    await button.click()
    await expect(button).to_have_attribute("aria-expanded", "true")
    panel = page.get_by_role("region", name=f"Metrics of {PROMETHEUS}")
    values = panel.get_by_role("table", name=f"Metric values of {PROMETHEUS}")
    up = values.get_by_role("row").filter(has=page.get_by_role("rowheader", name="up"))
    await expect(up).to_have_count(2)
    for job in ("prometheus", "kubernetes-apiservers"):
        series = up.filter(has_text=f"job={job}")
        await expect(series.get_by_role("cell").last).to_have_text("1")
    cpu = values.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="process_cpu_seconds_total")
    )
    await expect(cpu.get_by_role("cell").last).to_have_text("42.5")
    await console.screenshot("connection-metrics")
    await button.click()
    await expect(panel).to_have_count(0)
    assert console.errors == [], console.errors


async def test_without_a_reachable_prometheus_any_metric_name_may_be_typed(
    console: Watched, demo: Demo
) -> None:
    page = await open_console(console, demo)
    await row(page, PROMETHEUS).get_by_role("button", name="Register").click()
    dialog = page.get_by_role("dialog", name=f"Register {PROMETHEUS}")
    options = dialog.locator("datalist option")
    await expect(options).to_have_count(5)
    # The Prometheus is reached through its cluster's API server: not once the
    # cluster's connection is out of CONNECTED.
    cluster = await demo.connection("demo")
    await demo.post(TRANSITION, {"id": cluster["id"], "s": "MAINTENANCE"})
    field = dialog.get_by_role("combobox", name="Metrics to listen to")
    await field.fill("up")
    reason = dialog.get_by_role("status").filter(has_text="No metric names to suggest")
    await expect(reason).to_contain_text("type any name")
    await expect(options).to_have_count(0)
    await dialog.get_by_role("button", name="Add to Metrics to listen to").click()
    await expect(dialog.get_by_role("list", name="Metrics to listen to")).to_contain_text("up")
    assert console.errors == [], console.errors
