"""Fingerprinting cost: `resources(first: 100)` with `component` against the same query
without it, on a store of many rows, over real HTTP, in the same run.

    python bench/registry_bench.py [--rows 100000] [--requests 200] [--database-url URL]

Target: the query with components costs at most 1.3x the one without.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime

import aiohttp
import uvicorn

from graphql_server.app import create_app
from graphql_server.settings import Settings
from graphql_server.store.resources import ResourceRow

PLAIN = """{ resources(first: 100) { edges { node { id name namespace kind apiVersion
  labels resourceVersion } } } }"""
WITH_COMPONENT = """{ resources(first: 100) { edges { node { id name namespace kind apiVersion
  labels resourceVersion component { displayName model { name displayName category }
  styles { primaryColor secondaryColor svgColor shape } } } } } }"""

KINDS = [
    ("v1", "Pod", "pods"),
    ("v1", "ConfigMap", "configmaps"),
    ("v1", "Service", "services"),
    ("apps/v1", "Deployment", "deployments.apps"),
    ("apps/v1", "ReplicaSet", "replicasets.apps"),
    ("example.com/v1", "Widget", "widgets.example.com"),
]


def rows(count: int) -> list[ResourceRow]:
    now = datetime.now(UTC)
    made = []
    for i in range(count):
        api_version, kind, resource_type = KINDS[i % len(KINDS)]
        made.append(
            ResourceRow(
                cluster_id="bench",
                uid=f"uid-{i:07}",
                resource_type=resource_type,
                api_version=api_version,
                group=api_version.rpartition("/")[0],
                kind=kind,
                namespace=f"ns-{i % 50}",
                name=f"{kind.lower()}-{i:07}",
                resource_version=str(i + 1),
                labels={"app": f"app-{i % 100}", "tier": "web"},
                annotations={},
                owner_references=[],
                spec={"replicas": 1},
                status={"phase": "Running"},
                extra=None,
                created_at=now,
                updated_at=now,
            )
        )
    return made


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def timed(session: aiohttp.ClientSession, url: str, query: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        async with session.post(url, json={"query": query}) as response:
            body = await response.json()
        latencies.append(time.perf_counter() - started)
        assert "errors" not in body, body
    return latencies


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite://{workdir}/bench.sqlite3"
        settings = Settings(database_url=url, port=free_port())
        app = create_app(settings)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_config=None)
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        store = app.state.services.store
        made = rows(args.rows)
        for start in range(0, len(made), 2000):
            await store.resources.apply(made[start : start + 2000], [])
        endpoint = f"http://127.0.0.1:{settings.port}/graphql"
        async with aiohttp.ClientSession() as session:
            await timed(session, endpoint, PLAIN, 20)
            await timed(session, endpoint, WITH_COMPONENT, 20)
            plain: list[float] = []
            component: list[float] = []
            for _ in range(args.requests // 20):  # interleaved, so drift hits both alike
                plain += await timed(session, endpoint, PLAIN, 20)
                component += await timed(session, endpoint, WITH_COMPONENT, 20)
        server.should_exit = True
        await task
    ratio = statistics.median(component) / statistics.median(plain)
    print(f"{'figure':52} {'value':>10}  target")
    print(f"{'rows in the store':52} {args.rows:>10}")
    print(f"{'resources(first: 100) p50 (ms)':52} {statistics.median(plain) * 1000:>10.1f}")
    print(f"{'... with component p50 (ms)':52} {statistics.median(component) * 1000:>10.1f}")
    print(f"{'with component / without':52} {ratio:>10.2f}  <= 1.3")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))
