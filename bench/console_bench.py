"""Console load: bundle size and time to interactive in Chromium, against GraphiQL
(the other page the server ships) loaded by the same browser from the same server.

    python bench/console_bench.py [--runs 7] [--chromium /usr/bin/chromium]

Time to interactive: from navigation to the first animation frame where the
connections table shows the discovered Prometheus with its "Register" button
enabled (data fetched, page usable), read as ``performance.now()`` in the page;
for GraphiQL, to its enabled "Execute query" button. Each run is a fresh browser
context (nothing cached).

Targets: the console's median time to interactive at most 0.5x GraphiQL's, and its
script and stylesheet at most 40 KB gzipped together.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import resources

from playwright.async_api import Browser, Page, async_playwright

TTI_RATIO = 0.5
GZIP_BUDGET = 40 * 1024


READY_CONSOLE = """() => {
  const row = [...document.querySelectorAll("tr")].find(
    (r) => r.textContent.includes("metrics-store.monitoring"));
  const button = row && [...row.querySelectorAll("button")].find(
    (b) => b.textContent === "Register" && !b.disabled);
  return button ? performance.now() : 0;
}"""
READY_GRAPHIQL = """() => {
  const button = document.querySelector(".graphiql-execute-button");
  return button && !button.disabled ? performance.now() : 0;
}"""


def bundle_sizes() -> dict[str, tuple[int, int]]:
    folder = resources.files("graphql_server") / "static" / "console"
    sizes = {}
    for name in ("console.js", "console.css", "index.html"):
        data = (folder / name).read_bytes()
        sizes[name] = (len(data), len(gzip.compress(data, 9)))
    return sizes


def start_demo(port: int, data_dir: str) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "graphql_server", "serve", "--demo", "--demo-churn", "0"]
    args += ["--demo-objects", "300", "--port", str(port), "--data-dir", data_dir]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    query = b'{"query":"{ connections(filter: {kinds: [\\"prometheus\\"]}) { totalCount } }"}'
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql", query, {"content-type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                if b'"totalCount":1' in response.read():
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the demo server did not discover its Prometheus within 60 s")


async def interactive(browser: Browser, url: str, ready: str) -> float:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page: Page = await context.new_page()
    await page.goto(url, wait_until="commit")
    # Checked on every animation frame; the page's own clock at the first frame it holds.
    done = READY_CONSOLE if ready == "console" else READY_GRAPHIQL
    handle = await page.wait_for_function(done, polling="raf", timeout=30_000)
    elapsed = float(await handle.json_value())
    await context.close()
    return elapsed


async def measure(chromium: str, base: str, runs: int) -> tuple[list[float], list[float]]:
    console, graphiql = [], []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        await interactive(browser, f"{base}/", "console")  # warm the server up
        await interactive(browser, f"{base}/graphql", "graphiql")
        for _ in range(runs):
            console.append(await interactive(browser, f"{base}/", "console"))
            graphiql.append(await interactive(browser, f"{base}/graphql", "graphiql"))
        await browser.close()
    return console, graphiql


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    options = parser.parse_args()
    sizes = bundle_sizes()
    for name, (raw, packed) in sizes.items():
        print(f"{name:12} {raw / 1024:7.1f} KB  gzip {packed / 1024:6.1f} KB")
    packed_total = sizes["console.js"][1] + sizes["console.css"][1]
    print(
        f"script + stylesheet gzip: {packed_total / 1024:.1f} KB (budget {GZIP_BUDGET // 1024} KB)"
    )

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_demo(port, data_dir)
        try:
            console, graphiql = asyncio.run(
                measure(options.chromium, f"http://127.0.0.1:{port}", options.runs)
            )
        finally:
            server.terminate()
            server.wait(10)
    console_median, graphiql_median = statistics.median(console), statistics.median(graphiql)
    ratio = console_median / graphiql_median
    print(
        f"console time to interactive: median {console_median:.0f} ms "
        f"(min {min(console):.0f}, max {max(console):.0f}) over {len(console)} runs"
    )
    print(
        f"GraphiQL time to interactive: median {graphiql_median:.0f} ms "
        f"(min {min(graphiql):.0f}, max {max(graphiql):.0f})"
    )
    print(f"ratio console / GraphiQL: {ratio:.2f} (target <= {TTI_RATIO})")
    missed = []
    if ratio > TTI_RATIO:
        missed.append(f"time to interactive ratio {ratio:.2f} > {TTI_RATIO}")
    if packed_total > GZIP_BUDGET:
        missed.append(f"gzip size {packed_total} > {GZIP_BUDGET}")
    for miss in missed:
        print(f"MISS: {miss}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
