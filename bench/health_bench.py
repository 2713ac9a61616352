"""Cost of the health loop: one pass over many CONNECTED Prometheus connections against
the bare connectivity probes of the same connections, in the same run, in CPU time.

    python bench/health_bench.py [--connections 300] [--passes 3] [--database-url URL]

All sides probe the same small HTTP server (in this process) with the same
concurrency. The pass does what the loop does: read the connections, probe each,
write each one's health and last test. Its baseline is the least a loop could do: a
probe and one ordinary store update (read, then write) per connection. Targets: a
pass costs no more than that baseline (its write is one statement while nothing else
changed the connection), and a pass in which nothing moves writes no event log
entry; the pass against the probes alone is shown too.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
import time
from pathlib import Path

from aiohttp import web

from graphql_server.broker import InProcessBroker
from graphql_server.connectivity import check_connectivity
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.health_checking import HealthChecks, HealthPolicy
from graphql_server.store import Store
from graphql_server.store.connections import Changes, ConnectionRecord
from graphql_server.store.event_log import EventQuery

CONCURRENCY = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prometheus_app() -> web.Application:
    async def buildinfo(request: web.Request) -> web.Response:
        return web.json_response({"status": "success", "data": {"version": "2.53.0"}})

    app = web.Application()
    app.router.add_get("/{base:.*}/api/v1/status/buildinfo", buildinfo)
    return app


async def probes(urls: list[str]) -> float:
    """CPU seconds of one connectivity probe per URL, ``CONCURRENCY`` at a time."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(url: str) -> None:
        async with gate:
            result = await check_connectivity("prometheus", url=url)
            assert result.ok, result.message

    started = time.process_time()
    await asyncio.gather(*(one(u) for u in urls))
    return time.process_time() - started


async def probes_and_writes(store: Store, records: list[ConnectionRecord]) -> float:
    """CPU seconds of one probe and one ordinary metadata update per connection."""
    gate = asyncio.Semaphore(CONCURRENCY)
    stamp = time.time()

    async def one(record: ConnectionRecord) -> None:
        async with gate:
            result = await check_connectivity("prometheus", url=record.url)
            assert result.ok, result.message
            await store.connections.update(record.id, Changes(merge_metadata={"bench": stamp}))

    started = time.process_time()
    await asyncio.gather(*(one(r) for r in records))
    return time.process_time() - started


async def run(connections: int, passes: int, database_url: str) -> bool:
    runner = web.AppRunner(prometheus_app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    store = await Store.open(database_url)
    broker = InProcessBroker()
    await broker.start()
    try:
        urls = [f"http://127.0.0.1:{port}/p{i}" for i in range(connections)]
        records = [
            await store.connections.create(
                kind="prometheus", name=f"prom-{i:05}", status=ConnectionStatus.CONNECTED, url=url
            )
            for i, url in enumerate(urls)
        ]
        checks = HealthChecks(store, broker, HealthPolicy(interval=3600.0, concurrency=CONCURRENCY))
        await probes(urls[:20])  # warm both paths
        await checks.check_all()
        entries = await store.events.count(EventQuery())
        probe_cpu, write_cpu, pass_cpu = [], [], []
        for _ in range(passes):
            probe_cpu.append(await probes(urls))
            write_cpu.append(await probes_and_writes(store, records))
            started = time.process_time()
            tested = await checks.check_all()
            pass_cpu.append(time.process_time() - started)
            assert tested == connections, tested
        written = await store.events.count(EventQuery()) - entries
    finally:
        await broker.stop()
        await store.close()
        await runner.cleanup()
    probe_best, write_best, pass_best = min(probe_cpu), min(write_cpu), min(pass_cpu)
    ratio = pass_best / write_best
    per = 1000 / connections
    print(f"connections  {connections}")
    print(f"probes alone, CPU ms per connection  {probe_best * per:.3f}")
    print(f"probes and one store update each, CPU ms per connection  {write_best * per:.3f}")
    print(f"health pass, CPU ms per connection  {pass_best * per:.3f}")
    print(f"health pass CPU / probes alone CPU  {pass_best / probe_best:.2f}")
    print(f"health pass CPU / probes and one store update each CPU  {ratio:.2f}  <= 1.0")
    print(f"event log entries written by passes that move nothing  {written}  <= 0")
    return ratio <= 1.0 and written == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--quick", action="store_true", help="100 connections, 2 passes.")
    args = parser.parse_args()
    connections, passes = (100, 2) if args.quick else (args.connections, args.passes)
    with tempfile.TemporaryDirectory(prefix="health-bench-") as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'inventory.sqlite3'}"
        ok = asyncio.run(run(connections, passes, url))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
