"""Simulator benchmark: seeding, paginated listing and watch fan-out.

Run as ``python bench/simulator_bench.py [--objects 100000]``. Seeding is timed in this
process. Listing is timed twice: against a simulator in this process (client and server
share one event loop) and against one in a child process started the way the
``simulate`` command starts it. Watch fan-out is timed against the child process: 1 and
then 10 watchers on every pod, while the simulator applies a burst of changes as fast as
it can; each watcher stops at a marker object created after the burst. Clients are the
real kubernetes_asyncio client with ``_preload_content=False`` and orjson.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client import ApiClient, Configuration

from graphql_server.simulator import SimulatedCluster

REPO = Path(__file__).resolve().parents[1]
LIST_TARGET = 20_000
WATCH_TARGET = 5_000
SEED_TARGET = 5.0

CHILD = """
import asyncio, sys
from graphql_server.simulator import run_simulator
asyncio.run(run_simulator("127.0.0.1", int(sys.argv[1]), int(sys.argv[2]), 0.0, sys.argv[3], 1))
"""


async def api_client(kubeconfig: Path) -> ApiClient:
    cfg = Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    return ApiClient(cfg)


async def get(api: ApiClient, path: str, query: list[tuple[str, Any]]) -> Any:
    return await api.call_api(
        path,
        "GET",
        query_params=query,
        auth_settings=["BearerToken"],
        _preload_content=False,
        _return_http_data_only=True,
    )


async def resource_paths(api: ApiClient) -> list[str]:
    """Every listable resource, as discovery describes it."""
    paths: list[str] = []
    groups = orjson.loads(await (await get(api, "/apis", [])).read())["groups"]
    versions = ["/api/v1"] + [f"/apis/{g['preferredVersion']['groupVersion']}" for g in groups]
    for prefix in versions:
        listing = orjson.loads(await (await get(api, prefix, [])).read())
        for resource in listing["resources"]:
            if "/" not in resource["name"] and "list" in resource["verbs"]:
                paths.append(f"{prefix}/{resource['name']}")
    return paths


async def list_everything(api: ApiClient, limit: int = 500) -> tuple[int, int, float]:
    """(objects, pages, seconds) for a paginated list of every resource."""
    paths = await resource_paths(api)
    objects = pages = 0
    started = time.perf_counter()
    for path in paths:
        token = None
        while True:
            query: list[tuple[str, Any]] = [("limit", limit)]
            if token:
                query.append(("continue", token))
            response = await get(api, path, query)
            body = orjson.loads(await response.read())
            objects += len(body["items"])
            pages += 1
            token = body["metadata"].get("continue")
            if not token:
                break
    return objects, pages, time.perf_counter() - started


def verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "ok" if ok else "BELOW TARGET"


async def bench_seeding(objects: int) -> SimulatedCluster:
    cluster = SimulatedCluster("bench", seed=1)
    started = time.perf_counter()
    summary = cluster.seed_objects(objects)
    seconds = time.perf_counter() - started
    print(
        f"seeding: {summary['objects']:,} objects in {seconds:.2f} s "
        f"({summary['objects'] / seconds:,.0f}/s)   target <= {SEED_TARGET:.0f} s "
        f"[{verdict(seconds, SEED_TARGET, higher_is_better=False)}]"
    )
    return cluster


async def bench_list_in_process(cluster: SimulatedCluster, workdir: Path) -> None:
    async with cluster.serving() as running:
        path = running.write_kubeconfig(workdir / "in-process.json")
        async with await api_client(path) as api:
            objects, pages, seconds = await list_everything(api)
    rate = objects / seconds
    print(
        f"list (in-process, one loop): {objects:,} objects, {pages} pages in {seconds:.2f} s = "
        f"{rate:,.0f} objects/s   target >= {LIST_TARGET:,} [{verdict(rate, LIST_TARGET)}]"
    )


async def start_child(objects: int, workdir: Path) -> tuple[asyncio.subprocess.Process, Path]:
    kubeconfig = workdir / "child.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, "0", str(objects), str(kubeconfig),
        cwd=str(REPO),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not kubeconfig.exists():
        if process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError("the simulator child process did not start")
        await asyncio.sleep(0.1)
    return process, kubeconfig


async def watcher(api: ApiClient, rv: str, marker: str, ready: asyncio.Event) -> tuple[int, float]:
    """Read pod events until the marker pod is added; (events, time of the last one)."""
    response = await client.CoreV1Api(api).list_pod_for_all_namespaces(
        watch=True, resource_version=rv, timeout_seconds=600, _preload_content=False
    )
    ready.set()
    events = 0
    try:
        while True:
            line = await response.content.readline()
            if not line:
                raise RuntimeError("watch ended before the marker")
            event = orjson.loads(line)
            events += 1
            if event["object"]["metadata"]["name"] == marker:
                return events, time.perf_counter()
    finally:
        response.release()


async def bench_watch(api: ApiClient, url: str, watchers: int, events: int) -> None:
    core = client.CoreV1Api(api)
    rv = (await core.list_namespace(limit=1)).metadata.resource_version
    marker = f"marker-{watchers}-{time.monotonic_ns()}"
    ready = [asyncio.Event() for _ in range(watchers)]
    tasks = [
        asyncio.create_task(watcher(api, rv, marker, ready[i]), name=f"bench-watcher-{i}")
        for i in range(watchers)
    ]
    await asyncio.gather(*(r.wait() for r in ready))
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/_sim/churn/burst", json={"events": events}) as burst,
    ):
        applied = await burst.json()
    await core.create_namespaced_pod(
        "default",
        {"metadata": {"name": marker}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
    )
    results = await asyncio.gather(*tasks)
    finished = max(t for _, t in results)
    received = [n for n, _ in results]
    seconds = finished - started
    per_watcher = min(received) / seconds
    print(
        f"watch fan-out to {watchers:>2} watcher(s): {min(received):,} events each "
        f"({sum(received):,} total) in {seconds:.2f} s = {per_watcher:,.0f} events/s per watcher, "
        f"{sum(received) / seconds:,.0f}/s delivered (server burst {applied['seconds']:.2f} s)   "
        f"target >= {WATCH_TARGET:,}/s [{verdict(per_watcher, WATCH_TARGET)}]"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000, help="changes per watch burst")
    args = parser.parse_args()
    print(f"simulator benchmark: {args.objects:,} objects, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cluster = await bench_seeding(args.objects)
        await bench_list_in_process(cluster, workdir)
        del cluster
        process, kubeconfig = await start_child(args.objects, workdir)
        try:
            async with await api_client(kubeconfig) as api:
                objects, pages, seconds = await list_everything(api)
                rate = objects / seconds
                print(
                    f"list (separate process): {objects:,} objects, {pages} pages in "
                    f"{seconds:.2f} s = {rate:,.0f} objects/s   target >= {LIST_TARGET:,} "
                    f"[{verdict(rate, LIST_TARGET)}]"
                )
                url = orjson.loads(kubeconfig.read_bytes())["clusters"][0]["cluster"]["server"]
                for watchers in (1, 10):
                    await bench_watch(api, url, watchers, args.events)
        finally:
            process.terminate()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(process.wait(), 10)


if __name__ == "__main__":
    asyncio.run(main())
