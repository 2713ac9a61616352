"""The whole server at scale, as users run it: sync, idle, queries under churn, memory.

Starts ``graphql-server simulate --objects N`` and ``graphql-server serve --kubeconfig``,
each in its own process, and measures in one run:

1. the initial sync (from starting the server to ``SYNCED`` with every object), against
   the floor measured in the same run without the product's code (``scale_floor``:
   raw HTTP lists with aiohttp, raw sqlite3 or asyncpg inserts of the same objects);
2. the server's CPU while idle after ``SYNCED`` (``/proc``), with nothing changing;
3. p50/p99 of a fixed set of ordinary queries while the simulator churns 100 changes
   per second and 50 websocket subscribers listen to every change; the subscription
   lag (from the row's ``updatedAt`` to delivery) p99;
4. the server's peak RSS above an idle server with an empty database.

``--scaling 10000,100000,300000`` repeats it per size and prints the curve. Prints
figures with targets; exits 1 when a target is missed. The machine's load average is
printed alongside (other processes share it).

    python bench/scale_bench.py [--objects 100000] [--database-url URL]
                                [--scaling 10000,100000,300000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
from load_test import (
    LoadOptions,
    LoadReport,
    Subscriber,
    _tail,
    _wait_for,
    free_port,
    percentile,
    process,
)
from scale_floor import floor_sync

CLOCK = os.sysconf("SC_CLK_TCK")
TARGETS = {"sync ratio": 1.5, "idle cpu": 2.0, "p50": 30.0, "p99": 150.0, "lag": 1000.0}
RSS_PER_100K = 300.0  # MB above an idle server, per 100,000 objects
PAGE = "totalCount edges { node { id name namespace kind } }"
CLUSTERS = "{ clusters { id sync { phase resourceCount kinds { kind phase resourceCount } } } }"


def query_set(namespace: str, label: str, search: str) -> dict[str, str]:
    return {
        "first page": f"{{ resources(first: 100) {{ {PAGE} }} }}",
        "by kind": f'{{ resources(first: 100, filter: {{kinds: ["Pod"]}}) {{ {PAGE} }} }}',
        "by namespace": (
            f'{{ resources(first: 100, filter: {{namespaces: ["{namespace}"]}}) {{ {PAGE} }} }}'
        ),
        "by label selector": (
            f'{{ resources(first: 100, filter: {{labelSelector: "{label}"}}) {{ {PAGE} }} }}'
        ),
        "by name search": (
            f'{{ resources(first: 100, filter: {{search: "{search}"}}) {{ {PAGE} }} }}'
        ),
        "newest first": (
            "{ resources(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) "
            f"{{ {PAGE} }} }}"
        ),
        "with component": (
            "{ resources(first: 100) { edges { node { id name "
            "component { displayName model { name } } } } } }"
        ),
        "resourceSummary": "{ resourceSummary { total byKind { key count } } }",
        "clusters sync kinds": CLUSTERS,
    }


@dataclass(slots=True)
class Run:
    objects: int
    database: str
    sync_seconds: float = 0.0
    startup_seconds: float = 0.0  # until the API first answered
    floor_seconds: float = 0.0
    floor_rows: int = 0
    idle_cpu: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    lag: list[float] = field(default_factory=list)
    peak_rss: float = 0.0
    idle_rss: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.sync_seconds / self.floor_seconds if self.floor_seconds else float("nan")

    @property
    def ratio_after_startup(self) -> float:
        """The same without the process's start-up (the floor runs in a started one)."""
        if not self.floor_seconds:
            return float("nan")
        return (self.sync_seconds - self.startup_seconds) / self.floor_seconds

    def worst(self, q: float) -> float:
        return max((percentile(v, q) * 1000 for v in self.latencies.values()), default=0.0)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK  # utime + stime


def status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


async def graphql(session: aiohttp.ClientSession, url: str, query: str) -> dict[str, Any]:
    async with session.post(url, json={"query": query}) as response:
        body: dict[str, Any] = orjson.loads(await response.read())
    if body.get("errors"):
        raise RuntimeError(f"{query[:60]}: {body['errors']}")
    return body["data"]


@contextlib.asynccontextmanager
async def fresh_postgres(url: str) -> AsyncIterator[str]:
    """A new database on the server of ``url``, dropped afterwards."""
    name = f"gs_scale_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{url.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def settle_storage(database: str) -> None:
    """Write out what the floor left dirty (the kernel's page cache; PostgreSQL's
    shared buffers and log) so that flushing it does not fall into the server's sync."""
    os.sync()
    if database.startswith("sqlite"):
        return
    connection = await asyncpg.connect(database)
    try:
        await connection.execute("CHECKPOINT")
    except asyncpg.PostgresError as exc:  # CHECKPOINT needs a superuser or pg_checkpoint
        print(f"note: no CHECKPOINT after the floor ({exc})")
    finally:
        await connection.close()


def serve_args(workdir: Path, database: str, port: int, kubeconfig: Path | None) -> list[str]:
    args = ["serve", "--port", str(port), "--data-dir", str(workdir / "data")]
    args += ["--database-url", database, "--log-level", "WARNING"]
    return args + (["--kubeconfig", str(kubeconfig)] if kubeconfig else [])


async def idle_server_rss(workdir: Path, database: str) -> float:
    """RSS of a server with an empty database and no cluster, once ready."""
    port, log = free_port(), workdir / "idle-server.log"
    with process(serve_args(workdir / "idle", database, port, None), log) as server:
        async with aiohttp.ClientSession() as session:

            async def ready() -> bool:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    return response.status == 200

            await _wait_for(ready, "the idle server was not ready", 60, log)
        return status_mb(server.pid, "VmRSS:")


async def measure(objects: int, database: str, args: argparse.Namespace, workdir: Path) -> Run:
    run = Run(objects, "sqlite" if database.startswith("sqlite") else "postgres")
    kubeconfig, sim_log = workdir / "kubeconfig.json", workdir / "simulator.log"
    simulate = ["simulate", "--port", "0", "--objects", str(objects)]
    with process([*simulate, "--kubeconfig-out", str(kubeconfig)], sim_log) as simulator:
        deadline = time.monotonic() + 600
        while not kubeconfig.exists():
            if simulator.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator did not start:\n{_tail(sim_log)}")
            await asyncio.sleep(0.2)
        cluster_url = orjson.loads(kubeconfig.read_bytes())["clusters"][0]["cluster"]["server"]
        run.floor_seconds, run.floor_rows = await floor_sync(cluster_url, database, workdir)
        await settle_storage(database)  # the floor's writes are not left for the server's
        run.idle_rss = await idle_server_rss(workdir, database)
        port, log = free_port(), workdir / "server.log"
        url = f"http://127.0.0.1:{port}/graphql"
        started = time.perf_counter()
        with process(serve_args(workdir, database, port, kubeconfig), log) as server:
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(timeout=timeout) as session:

                async def synced() -> bool:
                    clusters = (await graphql(session, url, CLUSTERS))["clusters"]
                    if not run.startup_seconds:
                        run.startup_seconds = time.perf_counter() - started
                    return bool(clusters) and all(
                        c["sync"]["phase"] == "SYNCED"
                        and c["sync"]["resourceCount"] >= run.floor_rows
                        for c in clusters
                    )

                await _wait_for(synced, "the cluster was not synced", 3600, log)
                run.sync_seconds = time.perf_counter() - started
                await asyncio.sleep(args.settle)  # discovery's first pass, the status flush
                before, at = cpu_seconds(server.pid), time.perf_counter()
                await asyncio.sleep(args.idle_seconds)
                run.idle_cpu = (cpu_seconds(server.pid) - before) / (time.perf_counter() - at)
                run.idle_cpu *= 100
                await churning(run, session, url, cluster_url, args)
            run.peak_rss = status_mb(server.pid, "VmHWM:")
    return run


async def churning(
    run: Run, session: aiohttp.ClientSession, url: str, cluster: str, args: argparse.Namespace
) -> None:
    """The query set, one query at a time, while the cluster churns and subscribers listen."""
    found = await graphql(
        session,
        url,
        '{ resources(first: 1, filter: {kinds: ["Pod"], labelSelector: "app"}) '
        "{ edges { node { namespace name labels } } } }",
    )
    pod = found["resources"]["edges"][0]["node"]
    label = f"app={pod['labels']['app']}"
    queries = query_set(pod["namespace"], label, pod["name"][:6])
    report = LoadReport(LoadOptions())
    stop = asyncio.Event()
    subscribers = [Subscriber(2 * i, report) for i in range(args.subscribers)]  # every change
    ws_url = url.replace("http", "ws", 1)
    tasks = [asyncio.ensure_future(s.run(session, ws_url, stop)) for s in subscribers]
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subscribers)), 60)
    async with session.post(f"{cluster}/_sim/churn", json={"rate": args.churn}) as response:
        response.raise_for_status()
    try:
        await asyncio.sleep(2)  # churn reaches the subscribers
        ends = time.monotonic() + args.seconds
        while time.monotonic() < ends:
            for name, query in queries.items():
                begun = time.perf_counter()
                try:
                    await graphql(session, url, query)
                except (RuntimeError, aiohttp.ClientError) as exc:
                    run.errors.append(f"{name}: {exc}"[:300])
                run.latencies.setdefault(name, []).append(time.perf_counter() - begun)
    finally:
        async with session.delete(f"{cluster}/_sim/churn"):
            pass
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    run.lag = report.event_latencies
    run.errors.extend(report.errors[:10])


def report(run: Run) -> list[tuple[str, float, str]]:
    rss_target = RSS_PER_100K * max(1.0, run.objects / 100_000)
    rows = [
        (f"objects ({run.database})", float(run.floor_rows), ""),
        ("floor: raw list + parse + insert (s)", run.floor_seconds, ""),
        ("initial sync to SYNCED (s)", run.sync_seconds, ""),
        ("initial sync / floor", run.ratio, f"<= {TARGETS['sync ratio']}"),
        ("of which start-up, until the API answers (s)", run.startup_seconds, ""),
        ("sync after start-up / floor", run.ratio_after_startup, ""),
        ("idle CPU after SYNCED (% of a core)", run.idle_cpu, f"< {TARGETS['idle cpu']}"),
    ]
    for name, values in run.latencies.items():
        rows.append((f"{name} p50 (ms)", percentile(values, 0.5) * 1000, f"< {TARGETS['p50']:g}"))
        rows.append((f"{name} p99 (ms)", percentile(values, 0.99) * 1000, f"< {TARGETS['p99']:g}"))
    rows += [
        ("subscription lag p99 (ms)", percentile(run.lag, 0.99) * 1000, f"< {TARGETS['lag']:g}"),
        ("events received (all subscribers)", float(len(run.lag)), "> 0"),
        ("peak RSS above an idle server (MB)", run.peak_rss - run.idle_rss, f"< {rss_target:g}"),
        ("errors", float(len(run.errors)), "= 0"),
    ]
    return rows


def missed(rows: list[tuple[str, float, str]]) -> list[str]:
    failed = []
    for name, value, target in rows:
        if not target:
            continue
        op, bound = target.split()
        limit = float(bound)
        ok = {"<": value < limit, "<=": value <= limit, ">": value > limit, "=": value == limit}
        if not ok[op]:
            failed.append(f"{name}: {value:.2f} (target {target})")
    return failed


async def main(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.scaling.split(",")] if args.scaling else [args.objects]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    runs = []
    for objects in sizes:
        with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
            if args.database_url and not args.database_url.startswith("sqlite"):
                async with fresh_postgres(args.database_url) as database:
                    runs.append(await measure(objects, database, args, Path(tmp)))
            else:
                database = args.database_url or f"sqlite://{tmp}/inventory.sqlite3"
                runs.append(await measure(objects, database, args, Path(tmp)))
    failures = []
    for run in runs:
        rows = report(run)
        print(f"\n{run.objects} objects on {run.database}:")
        prefix = f"{run.objects} objects: " if len(runs) > 1 else ""
        for name, value, target in rows:
            print(f"{prefix + name:64}  {value:10.2f}  {target}".rstrip())
        failures += [f"{run.objects}: {f}" for f in missed(rows)]
        for error in run.errors[:5]:
            print(f"error: {error}")
    if len(runs) > 1:
        print(
            "\nscaling: objects, sync s, sync/floor, idle CPU %, worst p50 ms, worst p99 ms, "
            "lag p99 ms, peak RSS above idle MB"
        )
        for run in runs:
            cells = (
                run.sync_seconds,
                run.ratio,
                run.idle_cpu,
                run.worst(0.5),
                run.worst(0.99),
                percentile(run.lag, 0.99) * 1000,
                run.peak_rss - run.idle_rss,
            )
            print(f"{run.objects:>8}  " + "  ".join(f"{c:8.2f}" for c in cells))
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for failure in failures:
        print(f"missed: {failure}")
    return 1 if failures else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--scaling", default="", help="Sizes, e.g. 10000,100000,300000.")
    parser.add_argument("--database-url", default=None, help="Default: SQLite in a temp dir.")
    parser.add_argument("--seconds", type=float, default=20.0, help="Query period under churn.")
    parser.add_argument("--churn", type=float, default=100.0, help="Changes per second.")
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=5.0, help="Seconds after SYNCED.")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
