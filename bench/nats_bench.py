"""Scale-out benchmark: discovery agent -> NATS JetStream -> store writer -> PostgreSQL.

Runs a simulated cluster and a discovery agent (``graphql-server agent``) in their own
processes, a private nats-server (JetStream in a temporary directory), and in this
process the store writer of a ``serve`` replica (``scale_out_sync``) into a fresh
PostgreSQL database, with a subscriber on the replica's event stream. It measures:

1. the initial sync of the whole cluster through agent, JetStream and writer (from
   the moment the agent holds the cluster's lease; its start-up is shown apart);
2. sustained ingest: a load process changes pods at a fixed rate, each change
   stamped with its wall-clock time; the lag is measured from the change to the
   event delivered back through the events stream (end to end: simulator, agent,
   operations stream, writer, commit, events stream, subscriber);

and, in the same run against the same cluster, the in-process figures of
``bench/sync_bench.py`` (reflectors and writer in one process, SQLite, in-process
broker), and the in-process initial sync into PostgreSQL, for comparison. Prints
figures; asserts nothing.

    python bench/nats_bench.py [--objects 20000] [--rate 1000] [--seconds 10] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import sync_bench
from graphql_server.broker.base import Subscription
from graphql_server.broker.nats import NatsBroker, NatsOptions
from graphql_server.events import RESOURCES_TOPIC, ResourceEvent
from graphql_server.kube.watching import WatchOptions
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.sync.scaleout.replica import ScaleOutOptions, scale_out_sync
from graphql_server.sync.service import sync_options

PREFIX = "bench"
DEFAULT_POSTGRES = os.environ.get(
    "GRAPHQL_SERVER_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def nats_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    port = free_port()
    process = subprocess.Popen(
        [binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(workdir / "js")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nats-server did not start") from None
                time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def agent(kubeconfig: Path, nats_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "graphql_server",
                "agent",
                "--kubeconfig",
                str(kubeconfig),
                "--nats-url",
                nats_url,
                "--nats-prefix",
                PREFIX,
                "--log-level",
                "WARNING",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(20)


@contextlib.asynccontextmanager
async def postgres(admin_url: str) -> AsyncIterator[str]:
    import asyncpg

    name = f"gs_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@contextlib.asynccontextmanager
async def writer(database_url: str, nats_url: str) -> AsyncIterator[tuple[Store, NatsBroker]]:
    """The store writer and event stream of one ``serve --nats-url`` replica."""
    store = await Store.open(database_url)
    broker = NatsBroker(nats_url, NatsOptions(prefix=PREFIX), name="bench writer")
    await broker.start()
    options = sync_options(Settings(), WatchOptions())
    try:
        async with scale_out_sync(
            store, broker, options, (), scale_out=ScaleOutOptions(prefix=PREFIX)
        ):
            yield store, broker
    finally:
        await broker.stop()
        await store.close()


async def lag_under_load(
    subscription: Subscription, url: str, rate: float, seconds: float
) -> tuple[float, list[tuple[float, float]]]:
    """Changes sent per second by a load process, and (sent, received) of each change."""
    deliveries: list[tuple[float, float]] = []
    since = time.time()  # pods keep the stamps of earlier phases: those are not this load's

    async def collect() -> None:
        async for message in subscription:
            if isinstance(message, ResourceEvent):
                stamp = (message.resource.get("annotations") or {}).get(sync_bench.STAMP)
                if stamp and float(stamp) >= since:
                    deliveries.append((float(stamp), time.time()))

    collector = asyncio.create_task(collect())
    loader = subprocess.Popen(
        [
            sys.executable,
            sync_bench.__file__,
            "--load",
            url,
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    while loader.poll() is None:
        await asyncio.sleep(0.1)
    sent = float((loader.stdout.read() if loader.stdout else "0").strip() or 0)
    await asyncio.sleep(2.0)  # the last changes drain (time passes on purpose)
    subscription.close()
    await collector
    return sent, deliveries


async def in_process(
    kubeconfig: Path, url: str, workdir: Path, total: int, args: Any
) -> dict[str, float]:
    seconds, store, service, broker = await sync_bench.product_sync(
        kubeconfig, f"sqlite://{workdir}/in-process.sqlite3", total
    )
    subscription = broker.subscribe(RESOURCES_TOPIC, maxsize=1_000_000)
    sent, deliveries = await lag_under_load(subscription, url, args.rate, args.seconds)
    await service.__aexit__(None, None, None)
    await store.close()
    return figures(total, seconds, sent, deliveries)


async def in_process_initial(kubeconfig: Path, database_url: str, total: int) -> float:
    """The same initial sync in one process, into the scale-out path's database kind."""
    seconds, store, service, _ = await sync_bench.product_sync(kubeconfig, database_url, total)
    await service.__aexit__(None, None, None)
    await store.close()
    return seconds


async def through_nats(
    kubeconfig: Path, url: str, workdir: Path, total: int, database_url: str, args: Any
) -> dict[str, float]:
    with nats_server(workdir) as nats_url:
        async with writer(database_url, nats_url) as (store, broker):
            launched = time.perf_counter()
            with agent(kubeconfig, nats_url, workdir / "agent.log"):
                deadline = time.monotonic() + 600
                while not (await store.clusters.all()):  # the agent holds the lease, says hello
                    if time.monotonic() > deadline:
                        raise RuntimeError("the agent never started watching")
                    await asyncio.sleep(0.02)
                watching = time.perf_counter()
                while await sync_bench.count_rows(store) < total:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the store never held the whole cluster")
                    await asyncio.sleep(0.05)
                # From the agent's launch, as the in-process sync is timed from its start
                # (the agent's process start-up is shown on its own as well).
                seconds = time.perf_counter() - launched
                startup = watching - launched
                subscription = broker.subscribe(RESOURCES_TOPIC, maxsize=1_000_000)
                sent, deliveries = await lag_under_load(subscription, url, args.rate, args.seconds)
    return {
        "agent process start to watching (s)": startup,
        **figures(total, seconds, sent, deliveries),
    }


def figures(
    total: int, seconds: float, sent: float, deliveries: list[tuple[float, float]]
) -> dict[str, float]:
    lags = sync_bench.lags(deliveries)
    return {
        "initial sync (s)": seconds,
        "initial sync (objects/s)": total / seconds,
        "changes sent (per s)": sent,
        "changes delivered (per s)": sync_bench.delivered_rate(deliveries),
        "lag p50 (ms)": sync_bench.percentile(lags, 0.5) * 1000,
        "lag p99 (ms)": sync_bench.percentile(lags, 0.99) * 1000,
    }


async def main(args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory() as workdir,
        sync_bench.simulator(args.objects, Path(workdir)) as (kubeconfig, url),
    ):
        total = await sync_bench.expected_count(url)
        local = await in_process(kubeconfig, url, Path(workdir), total, args)
        if args.database_url:
            scaled = await through_nats(
                kubeconfig, url, Path(workdir), total, args.database_url, args
            )
            target = "SQLite" if args.database_url.startswith("sqlite") else "PostgreSQL"
        else:
            async with postgres(args.postgres) as database_url:
                scaled = await through_nats(
                    kubeconfig, url, Path(workdir), total, database_url, args
                )
            async with postgres(args.postgres) as database_url:
                local["in-process, PostgreSQL: initial sync (s)"] = await in_process_initial(
                    kubeconfig, database_url, total
                )
            target = "PostgreSQL"
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"objects {total}, load {args.rate:.0f} changes/s for {args.seconds:.0f} s")
    print(f"{'figure':56} {'value':>12}  target")
    for name, value in local.items():
        label = name if name.startswith("in-process") else "in-process, SQLite: " + name
        print(f"{label:56} {value:>12.1f}")
    for name, value in scaled.items():
        target_text = ""
        if name == "changes delivered (per s)":
            target_text = f"  >= {0.95 * scaled['changes sent (per s)']:.0f}"
        elif name == "lag p99 (ms)":
            target_text = "  < 1000"
        print(f"{f'agent -> JetStream -> {target}: ' + name:56} {value:>12.1f}{target_text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL server (a database on it) where a fresh database is made",
    )
    parser.add_argument(
        "--store-url",
        dest="database_url",
        default=None,
        help="Store the scale-out path writes to (default: a fresh PostgreSQL database)",
    )
    parser.add_argument("--quick", action="store_true", help="Small sizes: a minute or so.")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.objects, arguments.rate, arguments.seconds = 5000, 500, 5
    asyncio.run(main(arguments))
