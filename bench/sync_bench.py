"""Discovery engine benchmark: initial sync, sustained ingest and lag, peak memory.

Runs a simulated cluster in its own process (so its memory and CPU are not
counted), then in this process:

1. the product's initial sync of the whole cluster into a fresh SQLite store,
   timed until the store holds every object; peak RSS above the idle process;
2. the floor for the same work, measured in the same run before the product's, with
   nothing of the product: every page listed over raw HTTP and parsed with orjson,
   rows built, and a batched upsert of the same rows through the sqlite3 driver into
   the same schema;
3. sustained ingest: a separate load process changes pods at a fixed rate, each
   change stamped with its wall-clock time; a broker subscriber measures the lag
   from change to delivery. Sent and delivered rates are over comparable spans:
   the load's own, and from the first change sent to the last one delivered.

Prints figures with their targets; asserts nothing.

    python bench/sync_bench.py [--objects 100000] [--rate 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from graphql_server.broker import InProcessBroker
from graphql_server.events import RESOURCES_TOPIC, ResourceEvent
from graphql_server.kube.discovery import DEFAULT_EXCLUDED
from graphql_server.kube.watching import WatchOptions
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.service import SyncService, sync_options

STAMP = "bench.graphql-server/sent-at"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def simulator(objects: int, workdir: Path) -> Any:
    port = free_port()
    kubeconfig = workdir / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graphql_server",
            "simulate",
            "--port",
            str(port),
            "--objects",
            str(objects),
            "--kubeconfig-out",
            str(kubeconfig),
            "--log-level",
            "WARNING",
        ]
    )
    try:
        deadline = time.monotonic() + 120
        while not kubeconfig.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.1)
        yield kubeconfig, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


async def expected_count(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_sim/state") as response:
        state = await response.json()
    kinds: dict[str, int] = state["kinds"]
    return sum(n for name, n in kinds.items() if name not in DEFAULT_EXCLUDED)


async def count_rows(store: Store) -> int:
    _, rows = await store.database.connection().execute_query(
        "SELECT COUNT(*) AS n FROM resources", []
    )
    return int(rows[0]["n"])


async def product_sync(
    kubeconfig: Path, database: str, total: int
) -> tuple[float, Store, SyncService, InProcessBroker]:
    store = await Store.open(database)
    broker = InProcessBroker()
    options = sync_options(Settings(), WatchOptions())
    service = SyncService(store, broker, options, [ClusterSource("bench", kubeconfig)])
    started = time.perf_counter()
    await service.__aenter__()
    while not synced(service):
        await asyncio.sleep(0.02)
    await service.writer.idle()
    elapsed = time.perf_counter() - started
    stored = await count_rows(store)
    if stored != total:
        raise RuntimeError(f"the sync stored {stored} objects, the cluster has {total}")
    return elapsed, store, service, broker


def synced(service: SyncService) -> bool:
    clusters = service.tracker.clusters.values()
    return bool(clusters) and all(
        kinds.kinds and all(k.phase == "SYNCED" for k in kinds.kinds.values()) for kinds in clusters
    )


UPSERT = (
    'INSERT INTO resources (cluster_id, uid, resource_type, api_version, "group", kind, '
    "namespace, name, resource_version, labels, annotations, owner_references, spec, "
    "status, extra, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?) ON CONFLICT (cluster_id, uid) DO UPDATE SET "
    "resource_version = excluded.resource_version, labels = excluded.labels, "
    "annotations = excluded.annotations, spec = excluded.spec, status = excluded.status, "
    "updated_at = excluded.updated_at"
)


async def _collections(
    session: aiohttp.ClientSession, url: str, wanted: set[str]
) -> list[tuple[str, str, str, str, str]]:
    """(collection path, type name, group, apiVersion, kind) of each wanted type, found
    by raw discovery requests."""
    found = []
    versions = [("", "v1", "/api/v1")]
    async with session.get(f"{url}/apis") as response:
        for group in orjson.loads(await response.read())["groups"]:
            preferred = group["preferredVersion"]["groupVersion"]
            versions.append((group["name"], preferred, f"/apis/{preferred}"))
    for group, api_version, base in versions:
        async with session.get(f"{url}{base}") as response:
            resources = orjson.loads(await response.read())["resources"]
        for served in resources:
            plural = served["name"]
            name = f"{plural}.{group}" if group else plural
            if "/" not in plural and name in wanted:
                found.append((f"{base}/{plural}", name, group, api_version, served["kind"]))
    return found


def _raw_row(name: str, group: str, api_version: str, kind: str, item: Any) -> tuple[Any, ...]:
    meta = item["metadata"]
    meta.pop("managedFields", None)
    return (
        "floor",
        meta["uid"],
        name,
        api_version,
        group,
        kind,
        meta.get("namespace", ""),
        meta["name"],
        meta["resourceVersion"],
        orjson.dumps(meta.get("labels") or {}).decode(),
        orjson.dumps(meta.get("annotations") or {}).decode(),
        orjson.dumps(meta.get("ownerReferences") or []).decode(),
        orjson.dumps(item.get("spec")).decode(),
        orjson.dumps(item.get("status")).decode(),
        None,
        meta.get("creationTimestamp"),
        meta.get("creationTimestamp"),
    )


async def floor_sync(url: str, path: Path, wanted: set[str]) -> tuple[float, int]:
    """The product's initial sync without the product: raw HTTP pages, orjson, and a
    batched upsert of 1,000 rows per transaction through the sqlite3 driver (WAL,
    synchronous=NORMAL, as the product's store), into the schema the product made."""
    store = await Store.open(f"sqlite://{path}")  # the schema (not timed)
    await store.close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    rows: list[tuple[Any, ...]] = []
    async with aiohttp.ClientSession() as session:
        for collection, name, group, api_version, kind in await _collections(session, url, wanted):
            token = None
            while True:
                params = {"limit": "500", **({"continue": token} if token else {})}
                async with session.get(f"{url}{collection}", params=params) as response:
                    page = orjson.loads(await response.read())
                rows.extend(
                    _raw_row(name, group, api_version, kind, item)
                    for item in page.get("items") or []
                )
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    break
    for start in range(0, len(rows), 1000):
        connection.execute("BEGIN")
        connection.executemany(UPSERT, rows[start : start + 1000])
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, len(rows)


async def served_types(url: str) -> set[str]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_sim/state") as response:
        state = await response.json()
    return {name for name in state["kinds"] if name not in DEFAULT_EXCLUDED}


async def pods(url: str, limit: int) -> list[tuple[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/api/v1/pods", params={"limit": str(limit)}) as response,
    ):
        body = await response.json()
    return [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in body["items"]]


async def load(url: str, rate: float, seconds: float) -> None:
    """Patch pods at ``rate`` per second, stamping each with the time it was sent."""
    targets = await pods(url, 5000)
    interval = 1 / rate
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        sent = 0
        started = time.perf_counter()
        pending: set[asyncio.Task[Any]] = set()
        while time.perf_counter() - started < seconds:
            namespace, name = targets[sent % len(targets)]
            body = orjson.dumps({"metadata": {"annotations": {STAMP: repr(time.time())}}})

            async def patch(
                path: str = f"{url}/api/v1/namespaces/{namespace}/pods/{name}", data: bytes = body
            ) -> None:
                async with session.patch(
                    path, data=data, headers={"content-type": "application/merge-patch+json"}
                ) as r:
                    await r.read()

            task = asyncio.create_task(patch())
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
            delay = started + sent * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.gather(*pending)
        print(f"{sent / (time.perf_counter() - started):.1f}")


async def measure_lag(
    broker: InProcessBroker, url: str, rate: float, seconds: float
) -> tuple[float, list[tuple[float, float]]]:
    """The rate the load process sent at, and (sent, received) of each change."""
    deliveries: list[tuple[float, float]] = []
    subscription = broker.subscribe(RESOURCES_TOPIC, maxsize=1_000_000)

    async def collect() -> None:
        async for message in subscription:
            if isinstance(message, ResourceEvent):
                stamp = (message.resource.get("annotations") or {}).get(STAMP)
                if stamp:
                    deliveries.append((float(stamp), time.time()))

    collector = asyncio.create_task(collect())
    loader = subprocess.Popen(
        [sys.executable, __file__, "--load", url, "--rate", str(rate), "--seconds", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    while loader.poll() is None:
        await asyncio.sleep(0.1)
    sent_rate = float((loader.stdout.read() if loader.stdout else "0").strip() or 0)
    await asyncio.sleep(1.0)  # the last changes drain (time passes on purpose)
    subscription.close()
    await collector
    return sent_rate, deliveries


def delivered_rate(deliveries: list[tuple[float, float]]) -> float:
    """Changes delivered per second, from the first one sent to the last one delivered:
    the span the load's own sent rate is comparable with."""
    if not deliveries:
        return 0.0
    span = max(r for _, r in deliveries) - min(s for s, _ in deliveries)
    return len(deliveries) / span if span > 0 else float("nan")


def lags(deliveries: list[tuple[float, float]]) -> list[float]:
    return [received - sent for sent, received in deliveries]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    idle = rss_mb()
    with (
        tempfile.TemporaryDirectory() as workdir,
        simulator(args.objects, Path(workdir)) as (kubeconfig, url),
    ):
        total = await expected_count(url)
        floor_seconds, floor_rows = await floor_sync(
            url, Path(workdir) / "floor.sqlite3", await served_types(url)
        )
        product_seconds, store, service, broker = await product_sync(
            kubeconfig, f"sqlite://{workdir}/product.sqlite3", total
        )
        peak = peak_rss_mb()
        sent_rate, deliveries = await measure_lag(broker, url, args.rate, args.seconds)
        await service.__aexit__(None, None, None)
        await store.close()
    if floor_rows != total:
        raise RuntimeError(f"the floor stored {floor_rows} objects, the cluster has {total}")
    ratio = product_seconds / floor_seconds
    delays = lags(deliveries)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'figure':48} {'value':>12}  target")
    print(f"{'objects in the simulated cluster':48} {total:>12}")
    print(f"{'initial sync into SQLite (s)':48} {product_seconds:>12.2f}")
    print(
        f"{'floor: raw list + parse + sqlite3 upsert (s)':48} {floor_seconds:>12.2f}"
        f"  ({floor_rows} rows)"
    )
    print(f"{'initial sync / floor':48} {ratio:>12.2f}  <= 1.5")
    print(f"{'peak RSS above idle (MB)':48} {peak - idle:>12.1f}  < 300")
    print(
        f"{'changes sent by the load process (per s)':48} {sent_rate:>12.0f}  asked {args.rate:.0f}"
    )
    delivered = delivered_rate(deliveries)
    floor = 0.95 * sent_rate
    print(f"{'changes applied and delivered (per s)':48} {delivered:>12.0f}  >= {floor:.0f}")
    print(f"{'lag p50 change -> subscriber (ms)':48} {percentile(delays, 0.5) * 1000:>12.1f}")
    print(
        f"{'lag p99 change -> subscriber (ms)':48} {percentile(delays, 0.99) * 1000:>12.1f}  < 1000"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.load:
        asyncio.run(load(arguments.load, arguments.rate, arguments.seconds))
    else:
        asyncio.run(main(arguments))
