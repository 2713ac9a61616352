"""GraphQL API benchmark: queries per second, page latency against raw SQL, and
subscription fan-out against a raw websocket broadcast.

The server (the real app under uvicorn) runs in this process; clients run in child
processes so that their work is not counted as the server's. Each figure is printed
with its target and with a floor measured in the same run:

1. queries per second over HTTP for a small query (``resource(id:)``), and for
   ``{ __typename }`` (the HTTP and GraphQL stack without the store);
2. ``resources(first: 100)`` latency p50/p99 on a store of ``--rows`` rows, against
   the same page fetched with raw SQL and serialised with orjson, both served over
   the same HTTP stack and timed by the same client (target <= 3x); the floor reads
   through the SQLite driver itself, and is also timed in-process, without HTTP, for
   reference;
3. fan-out of ``resourceEvents`` to ``--subscribers`` websocket subscribers:
   deliveries per second for a burst, p50/p99 latency at a steady rate, against the
   same payloads broadcast over raw websockets by the same server stack, sent the way
   the product sends (each socket its own queue and writer task, the broadcast never
   waiting on a socket) (target >= 0.5 of the raw deliveries per second).

Prints figures; asserts nothing.

    python bench/api_bench.py [--rows 100000] [--subscribers 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import aiosqlite
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from graphql_server.api.context import Services
from graphql_server.app import create_app
from graphql_server.broker import InProcessBroker
from graphql_server.events import RESOURCES_TOPIC, ResourceEvent, ResourceEventType
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.resources import ResourceRow
from graphql_server.websocket_protocol import CoalescingWebSocketProtocol

CLUSTER = "bench-cluster"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SMALL_QUERY = '{ resource(id: "bench-cluster/uid-000042") { id name kind namespace } }'
TYPENAME = "{ __typename }"
PAGE_QUERY = """{ resources(first: 100) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id clusterId uid apiVersion kind name namespace resourceVersion
    labels annotations ownerReferences spec status createdAt updatedAt } } } }"""
SUBSCRIPTION = """subscription { resourceEvents(filter: { kinds: ["BenchEvent"] }) {
  type resource { name namespace resourceVersion labels } } }"""
BURST = 900  # below one mailbox (1000): a burst never overflows a subscriber
PACED, RATE = 200, 100.0  # events and events per second for the latency phase

# -- data --------------------------------------------------------------------------


def bench_row(i: int, kind: str = "Pod") -> ResourceRow:
    app = f"app-{i % 50}"
    return ResourceRow(
        cluster_id=CLUSTER,
        uid=f"uid-{i:06}",
        resource_type="pods",
        api_version="v1",
        group="",
        kind=kind,
        namespace=f"ns-{i % 40}",
        name=f"{app}-{i:06}",
        resource_version=str(i + 1),
        labels={"app": app, "tier": ("web", "db", "cache")[i % 3], "pod-template-hash": f"{i:x}"},
        annotations={"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"},
        owner_references=[
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": f"{app}-rs",
                "uid": f"rs-{i % 50}",
            }
        ],
        spec={
            "containers": [
                {
                    "name": "main",
                    "image": f"registry.example/{app}:1.{i % 9}",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                }
            ],
            "nodeName": f"node-{i % 20}",
            "serviceAccountName": "default",
        },
        status={
            "phase": "Running",
            "podIP": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
        extra=None,
        created_at=T0 + timedelta(seconds=i),
        updated_at=T0 + timedelta(seconds=i),
    )


async def fill(url: str, rows: int) -> float:
    store = await Store.open(url)
    try:
        await store.clusters.upsert(CLUSTER, "bench", "https://bench", "v1.31.0")
        started = time.perf_counter()
        batch = 2000
        for start in range(0, rows, batch):
            chunk = [bench_row(i) for i in range(start, min(rows, start + batch))]
            await store.resources.apply(chunk, [])
        return time.perf_counter() - started
    finally:
        await store.close()


# -- servers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def running(app: Any, port: int) -> AsyncIterator[uvicorn.Server]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws=CoalescingWebSocketProtocol
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="bench-uvicorn")
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield server
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


class RawBroadcast:
    """The floor: a Starlette websocket endpoint that sends pre-encoded text to all, the
    way the product does: ``send`` drops the text in each socket's own queue without
    waiting, and each socket's own task writes its queue out."""

    def __init__(self) -> None:
        self.sockets: dict[WebSocket, asyncio.Queue[str]] = {}

    async def endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.sockets[websocket] = queue

        async def write() -> None:
            while True:
                await websocket.send_text(await queue.get())

        writer = asyncio.create_task(write())
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            self.sockets.pop(websocket, None)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    async def send(self, text: str) -> None:
        for queue in tuple(self.sockets.values()):
            queue.put_nowait(text)


# -- child-process clients ------------------------------------------------------------


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--client", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )


async def result_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    output, _ = await asyncio.to_thread(process.communicate)
    if process.returncode != 0:
        raise RuntimeError(f"client failed ({process.returncode}): {output[-2000:]}")
    parsed: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return parsed


async def client_qps(url: str, seconds: float, concurrency: int, query: str) -> dict[str, Any]:
    body = orjson.dumps({"query": query})
    headers = {"content-type": "application/json"}
    count = errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal count, errors
        while time.perf_counter() < deadline:
            async with session.post(url, data=body, headers=headers) as response:
                payload = await response.read()
                if response.status != 200 or b'"errors"' in payload:
                    errors += 1
                count += 1

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return {"requests": count, "errors": errors, "seconds": time.perf_counter() - started}


async def client_latency(url: str, floor_url: str, requests: int) -> dict[str, Any]:
    """Alternate GraphQL and floor requests so that both see the same conditions."""
    body = orjson.dumps({"query": PAGE_QUERY})
    headers = {"content-type": "application/json"}
    timings: dict[str, list[float]] = {"graphql": [], "floor": []}
    sizes: dict[str, int] = {}
    async with aiohttp.ClientSession() as session:
        for i in range(requests + 20):
            for name in ("graphql", "floor"):
                started = time.perf_counter()
                if name == "graphql":
                    request = session.post(url, data=body, headers=headers)
                else:
                    request = session.get(floor_url)
                async with request as response:
                    payload = await response.read()
                elapsed = time.perf_counter() - started
                if i >= 20:  # warm-up excluded
                    timings[name].append(elapsed)
                sizes[name] = len(payload)
                if name == "graphql":
                    edges = len(orjson.loads(payload)["data"]["resources"]["edges"])
                else:
                    rows = len(orjson.loads(payload))
    return {"timings": timings, "bytes": sizes, "edges": edges, "rows": rows}


async def client_subscribers(
    url: str, subscribers: int, expected: int, raw: bool
) -> dict[str, Any]:
    """Receive ``expected`` messages on each socket; timestamps are in the payloads."""
    received: list[tuple[str, float, float]] = []  # (phase, sent at, received at)

    async def one(session: aiohttp.ClientSession) -> None:
        protocols = () if raw else ("graphql-transport-ws",)
        async with session.ws_connect(url, protocols=protocols, max_msg_size=0) as ws:
            if not raw:
                await ws.send_str('{"type":"connection_init","payload":{}}')
                await ws.receive()
                subscribe = {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
                await ws.send_str(json.dumps(subscribe))
            got = 0
            while got < expected:
                message = await ws.receive()
                now = time.time()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"unexpected frame {message.type}")
                data = orjson.loads(message.data)
                if data.get("type") == "ping":
                    await ws.send_str('{"type":"pong"}')
                    continue
                resource = data["payload"]["data"]["resourceEvents"]["resource"]
                received.append((resource["namespace"], float(resource["resourceVersion"]), now))
                got += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        print("READY", flush=True)
        await asyncio.gather(*(one(session) for _ in range(subscribers)))
    burst = [r for r in received if r[0] == "burst"]
    paced = [r[2] - r[1] for r in received if r[0] == "paced"]
    return {
        "burst_count": len(burst),
        "burst_last": max(r[2] for r in burst),
        "paced_latencies": paced,
    }


def run_client(argv: list[str]) -> None:
    mode, *rest = argv
    if mode == "qps":
        result = asyncio.run(client_qps(rest[0], float(rest[1]), int(rest[2]), rest[3]))
    elif mode == "latency":
        result = asyncio.run(client_latency(rest[0], rest[1], int(rest[2])))
    else:
        result = asyncio.run(
            client_subscribers(rest[0], int(rest[1]), int(rest[2]), raw=mode == "raw")
        )
    print(json.dumps(result))


# -- measurements ----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def event_row(name: str, phase: str) -> dict[str, Any]:
    row = bench_row(0, kind="BenchEvent")
    row.uid, row.name, row.namespace = name, name, phase
    row.resource_version = repr(time.time())
    return row.as_stored()


def payload_text(row: dict[str, Any]) -> str:
    """The message a GraphQL subscriber receives for this row, encoded once."""
    resource = {k: row[k] for k in ("name", "namespace")}
    resource["resourceVersion"] = row["resource_version"]
    resource["labels"] = row["labels"]
    data = {"resourceEvents": {"type": "ADDED", "resource": resource}}
    return orjson.dumps({"id": "1", "type": "next", "payload": {"data": data}}).decode()


async def fan_out(
    url: str,
    subscribers: int,
    ready: Callable[[], bool],
    send: Callable[[dict[str, Any]], Any],
    raw: bool,
) -> dict[str, float]:
    client = spawn("raw" if raw else "graphql", url, str(subscribers), str(BURST + PACED))
    assert client.stdout is not None
    line = await asyncio.to_thread(client.stdout.readline)
    assert line.strip() == "READY", line
    for _ in range(3000):
        if ready():
            break
        await asyncio.sleep(0.01)
    else:
        raise RuntimeError("subscribers did not connect")
    await asyncio.sleep(0.2)
    started = time.time()
    for i in range(BURST):
        await send(event_row(f"b{i}", "burst"))
        if i % 100 == 99:
            await asyncio.sleep(0)
    for i in range(PACED):
        await asyncio.sleep(1 / RATE)
        await send(event_row(f"p{i}", "paced"))
    result = await result_of(client)
    deliveries = result["burst_count"] / (result["burst_last"] - started)
    latencies = result["paced_latencies"]
    return {
        "deliveries_per_s": deliveries,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def main(rows: int, subscribers: int, qps_seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        print(f"filling the store with {rows:,} rows ...", flush=True)
        filled = await fill(url, rows)
        print(f"  {rows / filled:,.0f} rows/s through ResourceStore.apply")

        port, floor_port = free_port(), free_port()
        broker = InProcessBroker()
        app = create_app(Settings(database_url=url, port=port), broker=broker)
        raw_broadcast = RawBroadcast()
        page_sql = 'SELECT * FROM resources WHERE 1 = 1 ORDER BY "name" ASC, id ASC LIMIT 101'

        # The floor reads through the driver itself, nothing of the product's store.
        raw = await aiosqlite.connect(Path(tmp) / "bench.sqlite3")
        raw.row_factory = sqlite3.Row

        async def raw_page() -> bytes:
            result = await raw.execute_fetchall(page_sql)
            return orjson.dumps([dict(r) for r in list(result)[:100]], default=str)

        async def floor_page(request: Request) -> Response:
            return Response(await raw_page(), media_type="application/json")

        floor_app = Starlette(
            routes=[
                Route("/page", floor_page),
                WebSocketRoute("/raw", raw_broadcast.endpoint),
            ]
        )
        async with running(app, port), running(floor_app, floor_port):
            services: Services = app.state.services
            graphql = f"http://127.0.0.1:{port}/graphql"

            # 1. small queries per second
            for label, query in (("resource(id:)", SMALL_QUERY), ("{ __typename }", TYPENAME)):
                qps = await result_of(spawn("qps", graphql, str(qps_seconds), "16", query))
                per_second = qps["requests"] / qps["seconds"]
                print(
                    f"\n{label} over HTTP: {per_second:,.0f} queries/s "
                    f"(16 concurrent clients, {qps['errors']} errors)"
                )

            # 2. resources(first: 100) against raw SQL + JSON
            page = await result_of(
                spawn("latency", graphql, f"http://127.0.0.1:{floor_port}/page", "300")
            )
            assert (page["edges"], page["rows"]) == (100, 100), page
            in_process: list[float] = []
            for i in range(320):
                started = time.perf_counter()
                await raw_page()
                if i >= 20:
                    in_process.append(time.perf_counter() - started)
            executions: list[float] = []
            for i in range(120):
                started = time.perf_counter()
                executed = await _schema(app).execute(PAGE_QUERY, context_value=_context(services))
                orjson.dumps(executed.data)
                if i >= 20:
                    executions.append(time.perf_counter() - started)
            graphql_t, floor_t = page["timings"]["graphql"], page["timings"]["floor"]
            g50, g99 = percentile(graphql_t, 0.5), percentile(graphql_t, 0.99)
            f50, f99 = percentile(floor_t, 0.5), percentile(floor_t, 0.99)
            r50, r99 = percentile(in_process, 0.5), percentile(in_process, 0.99)
            e50 = percentile(executions, 0.5)
            sizes = page["bytes"]
            print(
                f"\nresources(first: 100) on {rows:,} rows "
                f"({sizes['graphql'] / 1024:.0f} KiB; floor {sizes['floor'] / 1024:.0f} KiB):"
                f"\n  GraphQL over HTTP          p50 {g50 * 1000:6.2f} ms  p99 {g99 * 1000:6.2f} ms"
                f"\n  raw SQL + orjson over HTTP p50 {f50 * 1000:6.2f} ms  p99 {f99 * 1000:6.2f} ms"
                f"\n  ratio p50 {g50 / f50:.2f}x, p99 {g99 / f99:.2f}x (target <= 3x)"
                f"\n  for reference, in-process: raw SQL + orjson p50 {r50 * 1000:.2f} ms, "
                f"p99 {r99 * 1000:.2f} ms; GraphQL execution p50 {e50 * 1000:.2f} ms"
                f"\n  (ratio to the in-process floor: p50 {g50 / r50:.1f}x)"
            )

            # 3. fan-out: GraphQL subscriptions against a raw broadcast
            feeds, streams = services.feeds, services.streams
            assert feeds is not None
            assert streams is not None

            async def publish(row: dict[str, Any]) -> None:
                broker.publish_nowait(
                    RESOURCES_TOPIC,
                    ResourceEvent(ResourceEventType.ADDED, CLUSTER, row["uid"], row),
                )

            def subscribed() -> bool:
                return streams.subscribers() >= subscribers and feeds.subscribers() >= 1

            gql = await fan_out(
                f"ws://127.0.0.1:{port}/graphql", subscribers, subscribed, publish, False
            )

            async def broadcast(row: dict[str, Any]) -> None:
                await raw_broadcast.send(payload_text(row))

            floor = await fan_out(
                f"ws://127.0.0.1:{floor_port}/raw",
                subscribers,
                lambda: len(raw_broadcast.sockets) >= subscribers,
                broadcast,
                True,
            )
        await raw.close()
        print(
            f"\nfan-out to {subscribers} websocket subscribers "
            f"(burst of {BURST} events; latency at {RATE:.0f} events/s):"
        )
        for name, figures in (("GraphQL subscription", gql), ("raw websocket", floor)):
            print(
                f"  {name:21} {figures['deliveries_per_s']:9,.0f} deliveries/s  "
                f"p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms"
            )
        ratio = gql["deliveries_per_s"] / floor["deliveries_per_s"]
        print(f"  ratio {ratio:.2f} of the raw broadcast (target >= 0.5)")


def _schema(app: Starlette) -> Any:
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        if hasattr(endpoint, "schema"):
            return endpoint.schema  # type: ignore[union-attr]
    raise RuntimeError("no GraphQL route")


def _context(services: Services) -> Any:
    from graphql_server.api.context import Context

    return Context(services=services)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        run_client(sys.argv[2:])
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--qps-seconds", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.subscribers, args.qps_seconds))
