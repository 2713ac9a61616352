"""Load test: websocket subscribers and a steady query load while the cluster churns.

Starts a simulated cluster (``graphql-server simulate --churn``) and the server
(``graphql-server serve --kubeconfig``), each in its own process, waits until the
sync holds the cluster (SYNCED, and the writer has written the lists: the initial
sync's events are not the churn's), then for a fixed period keeps ``--subscribers``
``resourceEvents`` subscriptions open over ``graphql-transport-ws`` (half on every
resource, half on Pods) and sends ``--qps`` queries per second over HTTP (a page
of Pods, the clusters with their sync status, the counts by kind). Reports
errors (target zero: failed or erroring queries, websocket errors, subscriptions
ended early, subscribers that received nothing), p99 latencies of the queries and
of event delivery (from the row's ``updatedAt``, stamped when the sync turns the
watch event into a row, to its arrival; deletions excluded), and the server's
RSS once warm and at the end (target: no growth), the server's share of a core over
the period (from /proc) and its CPU time per delivered event (the figure to compare
between runs on a shared machine, where wall-clock latencies depend on the
neighbours), the simulator's and this process's shares of a core, and the messages
the server's mailboxes dropped (from /metrics; target zero). Bounded in time; exits
1 when a target is missed.

    python bench/load_test.py [--subscribers 200] [--seconds 60] [--qps 20] [--churn 100]
                              [--objects 5000] [--database-url URL]

Targets: query p50 < 50 ms and p99 < 500 ms, event delivery p99 < 1 s, nothing
dropped, RSS growth once warm at most 10 %.

``tests/test_load.py`` runs a short form of it and asserts zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

REPO = Path(__file__).resolve().parents[1]
RSS_GROWTH_TARGET = 10.0  # percent, from warm to end
CLIENT_KEEPALIVE = 3.0  # seconds an idle HTTP connection is kept for the next query

QUERIES = (
    """query PodPage { resources(first: 50, filter: {kinds: ["Pod"]}) {
      totalCount edges { node { name namespace labels resourceVersion } } } }""",
    "query Clusters { clusters { id name sync { phase resourceCount lastEventAt } } }",
    "query Counts { resourceSummary { total byKind { key count } } }",
)
SUBSCRIPTIONS = (
    """subscription Everything { resourceEvents {
      type resource { kind name namespace resourceVersion updatedAt } } }""",
    """subscription Pods { resourceEvents(filter: {kinds: ["Pod"]}) {
      type resource { kind name namespace resourceVersion updatedAt } } }""",
)


@dataclass(frozen=True, slots=True)
class LoadOptions:
    subscribers: int = 200
    seconds: float = 60.0
    qps: float = 20.0
    churn: float = 100.0
    objects: int = 5000
    database_url: str | None = None
    warmup: float | None = None  # default: a fifth of the period, at most 10 s


@dataclass(slots=True)
class LoadReport:
    options: LoadOptions
    errors: list[str] = field(default_factory=list)
    query_latencies: list[float] = field(default_factory=list)
    event_latencies: list[float] = field(default_factory=list)
    events_per_subscriber: list[int] = field(default_factory=list)
    rss_start_mb: float = 0.0
    rss_warm_mb: float = 0.0
    rss_end_mb: float = 0.0
    seconds: float = 0.0
    cpu_share: float = 0.0  # of one core, over the load period
    messages_delivered: int = 0  # websocket messages received by the subscribers in the period
    server_cpu_seconds: float = 0.0  # over the load period
    simulator_cpu_share: float = 0.0
    client_cpu_share: float = 0.0  # this process: the subscribers and the query load
    dropped: dict[str, float] = field(default_factory=dict)  # by mailbox

    @property
    def rss_growth_percent(self) -> float:
        if not self.rss_warm_mb:
            return 0.0
        return (self.rss_end_mb - self.rss_warm_mb) / self.rss_warm_mb * 100


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def dropped_messages(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """Messages dropped from the server's mailboxes so far, by mailbox, from /metrics."""
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    dropped: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("graphql_server_subscriber_messages_dropped"):
            labels, _, value = line.rpartition(" ")
            dropped[labels.partition("{")[2].rstrip("}")] = float(value)
    return dropped


async def metric(session: aiohttp.ClientSession, url: str, name: str) -> float:
    """The value of an unlabelled gauge of the server's /metrics."""
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.rpartition(" ")[2])
    raise KeyError(name)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def process(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "graphql_server", *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


async def _wait_for(check: Any, what: str, within: float, log: Path) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if await check():
                return
        except (aiohttp.ClientError, OSError, KeyError, TypeError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {within:.0f} s; log:\n{_tail(log)}")
        await asyncio.sleep(0.2)


async def _graphql(session: aiohttp.ClientSession, url: str, query: str) -> dict[str, Any]:
    async with session.post(url, json={"query": query}) as response:
        body: dict[str, Any] = await response.json(loads=orjson.loads)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body}")
        return body


@contextlib.asynccontextmanager
async def environment(options: LoadOptions, workdir: Path) -> AsyncIterator[tuple[str, int, int]]:
    """The simulator and the server, running and synced; yields (server URL, server pid,
    simulator pid)."""
    kubeconfig = workdir / "kubeconfig.json"
    simulator_log, server_log = workdir / "simulator.log", workdir / "server.log"
    simulate = ["simulate", "--port", "0", "--objects", str(options.objects)]
    simulate += ["--churn", str(options.churn), "--kubeconfig-out", str(kubeconfig)]
    with process([*simulate, "--log-level", "WARNING"], simulator_log) as simulator:
        deadline = time.monotonic() + 60
        while not kubeconfig.exists():
            if simulator.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator did not start:\n{_tail(simulator_log)}")
            await asyncio.sleep(0.1)
        port = free_port()
        database = options.database_url or f"sqlite://{workdir / 'inventory.sqlite3'}"
        serve = ["serve", "--kubeconfig", str(kubeconfig), "--port", str(port)]
        serve += ["--data-dir", str(workdir / "data"), "--database-url", database]
        with process([*serve, "--log-level", "WARNING"], server_log) as server:
            url = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as session:

                async def ready() -> bool:
                    async with session.get(f"{url}/readyz") as response:
                        return response.status == 200

                async def synced() -> bool:
                    body = await _graphql(session, f"{url}/graphql", QUERIES[1])
                    clusters = body["data"]["clusters"]
                    return bool(clusters) and all(c["sync"]["phase"] == "SYNCED" for c in clusters)

                async def settled() -> bool:
                    # SYNCED means the lists were read; their rows may still wait in the
                    # writer's queue. Their events are the initial sync's, not the churn's.
                    queued = await metric(session, url, "graphql_server_writer_queued_rows")
                    return queued <= max(100.0, options.churn)

                await _wait_for(ready, "the server was not ready", 60, server_log)
                await _wait_for(synced, "the cluster was not synced", 120, server_log)
                await _wait_for(settled, "the initial sync was not written", 120, server_log)
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped:\n{_tail(server_log)}")
            yield url, server.pid, simulator.pid


class Subscriber:
    def __init__(self, number: int, report: LoadReport) -> None:
        self.number = number
        self.report = report
        self.query = SUBSCRIPTIONS[number % len(SUBSCRIPTIONS)]
        self.events = 0
        self.ready = asyncio.Event()

    def error(self, message: str) -> None:
        self.report.errors.append(f"subscriber {self.number}: {message}")

    async def run(self, session: aiohttp.ClientSession, url: str, stop: asyncio.Event) -> None:
        try:
            async with session.ws_connect(
                url, protocols=("graphql-transport-ws",), max_msg_size=0, heartbeat=None
            ) as ws:
                await ws.send_str('{"type":"connection_init","payload":{}}')
                ack = await ws.receive_json(timeout=30)
                if ack.get("type") != "connection_ack":
                    self.error(f"no connection_ack: {ack}")
                    return
                message = {"id": "1", "type": "subscribe", "payload": {"query": self.query}}
                await ws.send_str(json.dumps(message))
                self.ready.set()
                receiving = asyncio.ensure_future(self._receive(ws))
                stopping = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in (receiving, stopping):
                        task.cancel()
                    await asyncio.gather(receiving, stopping, return_exceptions=True)
                if receiving.done() and not receiving.cancelled() and not stop.is_set():
                    self.error("the subscription ended before the load did")
                with contextlib.suppress(Exception):
                    await ws.send_str('{"id":"1","type":"complete"}')
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.error(f"{type(exc).__name__}: {exc}")
        finally:
            self.ready.set()

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                self.error(f"unexpected frame {frame.type.name}")
                return
            received = time.time()
            message = orjson.loads(frame.data)
            kind = message.get("type")
            if kind == "ping":
                await ws.send_str('{"type":"pong"}')
            elif kind == "next":
                payload = message.get("payload") or {}
                if payload.get("errors"):
                    self.error(f"errors: {payload['errors']}")
                    continue
                self.events += 1
                event = payload["data"]["resourceEvents"]
                if event["type"] != "DELETED":  # a deleted row keeps its last update time
                    updated = datetime.fromisoformat(event["resource"]["updatedAt"]).timestamp()
                    self.report.event_latencies.append(received - updated)
            elif kind in ("error", "complete"):
                self.error(f"{kind}: {message.get('payload')}")
                return


async def query_load(
    session: aiohttp.ClientSession, url: str, qps: float, stop: asyncio.Event, report: LoadReport
) -> None:
    """``qps`` queries per second, each on its own, at most 64 in flight."""
    bodies = [orjson.dumps({"query": q}) for q in QUERIES]
    headers = {"content-type": "application/json"}
    slots = asyncio.Semaphore(64)
    pending: set[asyncio.Task[None]] = set()

    async def one(body: bytes) -> None:
        async with slots:
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    payload = await response.read()
                    if response.status != 200 or b'"errors"' in payload:
                        report.errors.append(f"query: HTTP {response.status} {payload[:300]!r}")
            except (aiohttp.ClientError, OSError) as exc:
                report.errors.append(f"query: {type(exc).__name__}: {exc}")
                return
            report.query_latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    sent = 0
    try:
        while not stop.is_set():
            task = asyncio.ensure_future(one(bodies[sent % len(bodies)]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
            delay = started + sent / qps - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
    finally:
        await asyncio.gather(*pending, return_exceptions=True)


async def run(options: LoadOptions, workdir: Path) -> LoadReport:
    report = LoadReport(options)
    async with environment(options, workdir) as (url, pid, simulator_pid):
        report.rss_start_mb = rss_mb(pid)
        stop = asyncio.Event()
        # Idle connections are let go before the server's keep-alive timeout (uvicorn: 5 s),
        # else a query can be sent on a connection the server is closing at that moment.
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=CLIENT_KEEPALIVE)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            subscribers = [Subscriber(i, report) for i in range(options.subscribers)]
            ws_url = url.replace("http", "ws", 1) + "/graphql"
            tasks = [asyncio.ensure_future(s.run(session, ws_url, stop)) for s in subscribers]
            load: asyncio.Future[None] | None = None
            started = time.monotonic()
            try:
                await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subscribers)), 60)
                started = time.monotonic()
                cpu_before = cpu_seconds(pid)
                simulator_before = cpu_seconds(simulator_pid)
                client_before = time.process_time()
                events_before = sum(s.events for s in subscribers)
                load = asyncio.ensure_future(
                    query_load(session, f"{url}/graphql", options.qps, stop, report)
                )
                warmup = options.warmup
                if warmup is None:
                    warmup = min(10.0, options.seconds / 5)
                await asyncio.sleep(warmup)
                report.rss_warm_mb = rss_mb(pid)
                await asyncio.sleep(max(0.0, options.seconds - warmup))
                report.rss_end_mb = rss_mb(pid)
                elapsed = time.monotonic() - started
                report.server_cpu_seconds = cpu_seconds(pid) - cpu_before
                report.cpu_share = report.server_cpu_seconds / elapsed
                report.simulator_cpu_share = (
                    cpu_seconds(simulator_pid) - simulator_before
                ) / elapsed
                report.client_cpu_share = (time.process_time() - client_before) / elapsed
                report.messages_delivered = sum(s.events for s in subscribers) - events_before
                report.dropped = await dropped_messages(session, url)
            finally:
                stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)
                if load is not None:
                    await load
            report.seconds = time.monotonic() - started
        report.events_per_subscriber = [s.events for s in subscribers]
        silent = sum(1 for s in subscribers if s.events == 0)
        if silent:
            report.errors.append(f"{silent} subscribers received no event")
    return report


def print_report(report: LoadReport) -> None:
    options = report.options
    per_subscriber = report.events_per_subscriber or [0]
    delivered = max(1, report.messages_delivered)
    cpu_per_event = report.server_cpu_seconds / delivered * 1e6
    rows = [
        ("subscribers (resourceEvents over websockets)", f"{options.subscribers}", ""),
        ("load period (s)", f"{report.seconds:.1f}", ""),
        ("simulator churn (changes per s)", f"{options.churn:g}", ""),
        ("queries sent per second", f"{len(report.query_latencies) / report.seconds:.1f}",
         f"asked {options.qps:g}"),
        ("errors", f"{len(report.errors)}", "= 0"),
        ("events per subscriber (min)", f"{min(per_subscriber)}", "> 0"),
        ("events delivered per second (all subscribers)",
         f"{sum(per_subscriber) / report.seconds:.0f}", ""),
        ("query p50 (ms)", f"{percentile(report.query_latencies, 0.5) * 1000:.1f}", "< 50"),
        ("query p99 (ms)", f"{percentile(report.query_latencies, 0.99) * 1000:.1f}", "< 500"),
        ("event delivery p50 (ms)", f"{percentile(report.event_latencies, 0.5) * 1000:.1f}", ""),
        ("event delivery p99 (ms)", f"{percentile(report.event_latencies, 0.99) * 1000:.1f}",
         "< 1000"),
        ("messages dropped by the server", f"{sum(report.dropped.values()):.0f}", "= 0"),
        ("server CPU (share of one core)", f"{report.cpu_share:.2f}", ""),
        ("server CPU per delivered event (us)", f"{cpu_per_event:.1f}", ""),
        ("simulator CPU (share of one core)", f"{report.simulator_cpu_share:.2f}", ""),
        ("load generator CPU (share of one core)", f"{report.client_cpu_share:.2f}", ""),
        ("server RSS at start (MB)", f"{report.rss_start_mb:.1f}", ""),
        ("server RSS once warm (MB)", f"{report.rss_warm_mb:.1f}", ""),
        ("server RSS at end (MB)", f"{report.rss_end_mb:.1f}", ""),
        ("server RSS growth once warm (%)", f"{report.rss_growth_percent:.1f}",
         f"<= {RSS_GROWTH_TARGET:g}"),
    ]  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'figure':52} {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:52} {value:>10}  {target}".rstrip())
    for error in report.errors[:10]:
        print(f"error: {error}")
    for mailbox, count in sorted(report.dropped.items()):
        if count:
            print(f"dropped by {mailbox}: {count:.0f}")


def missed_targets(report: LoadReport) -> list[str]:
    missed = []
    if report.errors:
        missed.append(f"{len(report.errors)} errors")
    if not percentile(report.query_latencies, 0.5) < 0.050:
        missed.append("query p50")
    if not percentile(report.query_latencies, 0.99) < 0.500:
        missed.append("query p99")
    if not percentile(report.event_latencies, 0.99) < 1.0:
        missed.append("event delivery p99")
    if any(report.dropped.values()):
        missed.append("dropped messages")
    if report.rss_growth_percent > RSS_GROWTH_TARGET:
        missed.append("RSS growth")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--qps", type=float, default=20.0)
    parser.add_argument("--churn", type=float, default=100.0)
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    options = LoadOptions(
        subscribers=args.subscribers,
        seconds=args.seconds,
        qps=args.qps,
        churn=args.churn,
        objects=args.objects,
        database_url=args.database_url,
    )
    with tempfile.TemporaryDirectory(prefix="load-test-") as workdir:
        report = asyncio.run(run(options, Path(workdir)))
    print_report(report)
    missed = missed_targets(report)
    if missed:
        print("missed targets: " + ", ".join(missed))
        sys.exit(1)


if __name__ == "__main__":
    main()
