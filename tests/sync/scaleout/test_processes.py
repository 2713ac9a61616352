"""Scale-out end to end, with real processes: a simulated cluster, one discovery agent,
two API replicas on one PostgreSQL database and one NATS server owned by the test
(JetStream storage in a temporary directory, so streams survive its restarts).

A websocket subscriber on each replica keeps a view of the inventory (a snapshot,
then every event; a ``MISSED_EVENTS`` error means subscribe again and refetch).
Both replicas deliver the same events. Restarting NATS under the agent, restarting
the agent and a replica, and killing the replica that writes the store lose
nothing: the store ends exactly equal to the simulator (listed through its API),
and the surviving subscriber's view equals the store.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from graphql_server.broker.client import NatsClient
from graphql_server.broker.leases import LeaseStore
from graphql_server.kube.config import client_from_kubeconfig
from graphql_server.kube.discovery import TypeFilter, discover
from tests.conftest import free_port, postgres_database
from tests.helpers import until, ws_client
from tests.natsserver import NatsServer

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

PREFIX = "e2e"
TTL = "2"
SUBSCRIPTION = "subscription { resourceEvents { type resource { id resourceVersion } } }"
PAGE = """
query ($after: String) {
  resources(first: 500, after: $after) {
    edges { node { id resourceVersion } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

Inventory = dict[str, str]  # resource id -> resourceVersion


class Process:
    """One ``graphql-server`` command, its output in a log file."""

    def __init__(self, name: str, args: list[str], log: Path) -> None:
        self.name = name
        self.args = args
        self.log = log
        self.child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.child = subprocess.Popen(
                [sys.executable, "-m", "graphql_server", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.child is None:
            return
        if self.child.poll() is None:
            self.child.send_signal(sig)
            try:
                self.child.wait(20)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(5)
        self.child = None

    async def halt(self, sig: int = signal.SIGTERM) -> None:
        """``stop`` without blocking the event loop: the test's subscribers keep reading."""
        await asyncio.to_thread(self.stop, sig)

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ---\n" + "\n".join(text.splitlines()[-25:])


@contextmanager
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    try:
        yield started
    except BaseException:
        for process in started:
            print(process.tail())
        raise
    finally:
        for process in started:
            process.stop()


async def wait_http(url: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} never answered")
            await asyncio.sleep(0.1)


async def snapshot(graphql: str) -> Inventory:
    found: Inventory = {}
    after: str | None = None
    async with aiohttp.ClientSession() as session:
        while True:
            body = {"query": PAGE, "variables": {"after": after}}
            async with session.post(graphql, json=body) as response:
                page = (await response.json())["data"]["resources"]
            for edge in page["edges"]:
                found[edge["node"]["id"]] = edge["node"]["resourceVersion"]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]


def newer(incoming: str, current: str | None) -> bool:
    return current is None or int(incoming) >= int(current)


class Watcher:
    """A subscriber on one replica: a view of the inventory kept from its events."""

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.ws = f"ws://127.0.0.1:{port}/graphql"
        self.http = f"http://127.0.0.1:{port}/graphql"
        self.metrics = f"http://127.0.0.1:{port}/metrics"
        self.view: Inventory = {}
        self.events: list[tuple[str, str, str]] = []
        self.refetches = 0
        self.reconnects = 0
        self.ready = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                await self._follow()
            except (OSError, aiohttp.ClientError, TimeoutError, KeyError) as exc:
                self.ready.clear()
                self.reconnects += 1
                del exc
                await asyncio.sleep(0.3)
            except Exception as exc:  # websockets' ConnectionClosed and friends
                if (
                    "ConnectionClosed" not in type(exc).__name__
                    and "Invalid" not in type(exc).__name__
                ):
                    raise
                self.ready.clear()
                self.reconnects += 1
                await asyncio.sleep(0.3)

    async def _follow(self) -> None:
        async with ws_client(self.ws) as client:
            op = await client.subscribe(SUBSCRIPTION)
            await self._on_its_feed()  # in place before the snapshot: no event falls between
            base = await snapshot(self.http)
            self.view = base
            self.ready.set()
            while True:
                message = await client.receive(wait=3600)
                if message.get("id") != op:
                    continue
                if message["type"] == "complete":
                    self.refetches += 1
                    return
                payload: dict[str, Any] = message.get("payload") or {}
                if message["type"] == "error" or payload.get("errors"):
                    codes = [e.get("extensions", {}).get("code") for e in payload.get("errors", [])]
                    assert "MISSED_EVENTS" in codes or message["type"] == "error", message
                    self.refetches += 1
                    return  # subscribe again, then refetch
                event = payload["data"]["resourceEvents"]
                self._apply(
                    event["type"], event["resource"]["id"], event["resource"]["resourceVersion"]
                )

    async def _on_its_feed(self) -> None:
        """Until the replica's metrics show this subscription attached to a running
        execution that has joined its feed (each replica has this one subscriber)."""

        async def attached() -> bool:
            async with aiohttp.ClientSession() as session, session.get(self.metrics) as response:
                text = await response.text()
            figures = {
                name: float(value)
                for name, _, value in (line.partition(" ") for line in text.splitlines())
                if name.startswith("graphql_server_")
            }
            executions = figures.get("graphql_server_subscription_executions", 0)
            feeds = figures.get("graphql_server_subscription_feeds", 0)
            return figures.get("graphql_server_subscribers", 0) >= 1 and feeds >= executions >= 1

        await until(attached, 20, f"{self.name}: the subscription is on its feed")

    def _apply(self, kind: str, rid: str, version: str) -> None:
        self.events.append((kind, rid, version))
        if kind == "DELETED":
            if newer(version, self.view.get(rid)):
                self.view.pop(rid, None)
        elif newer(version, self.view.get(rid)):
            self.view[rid] = version


async def simulator_inventory(kubeconfig: Path) -> Inventory:
    client = await client_from_kubeconfig(kubeconfig, None)
    try:
        identity = (await client.get("/api/v1/namespaces/kube-system"))["metadata"]["uid"]
        found: Inventory = {}
        for rtype in await discover(client, TypeFilter()):
            document = await client.get(rtype.collection_path())
            for item in document.get("items") or []:
                meta = item["metadata"]
                found[f"{identity}/{meta['uid']}"] = str(meta["resourceVersion"])
        return found
    finally:
        await client.close()


async def store_inventory(database_url: str) -> Inventory:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT cluster_id, uid, resource_version FROM resources")
    finally:
        await connection.close()
    return {f"{r['cluster_id']}/{r['uid']}": r["resource_version"] for r in rows}


def difference(expected: Inventory, actual: Inventory) -> str:
    missing = sorted(set(expected) - set(actual))
    stale = sorted(set(actual) - set(expected))
    outdated = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    return (
        f"{len(missing)} missing {[(k, expected[k]) for k in missing[:3]]}, "
        f"{len(stale)} stale {[(k, actual[k]) for k in stale[:3]]}, {len(outdated)} outdated "
        f"{[(k, expected[k], actual[k]) for k in outdated[:3]]}"
    )


async def converged(kubeconfig: Path, database_url: str, within: float = 30) -> Inventory:
    """The store equals the simulator (churn stopped); returns it."""
    deadline = time.monotonic() + within
    while True:
        expected = await simulator_inventory(kubeconfig)
        actual = await store_inventory(database_url)
        if expected == actual:
            return actual
        if time.monotonic() > deadline:
            raise AssertionError("the store never converged: " + difference(expected, actual))
        await asyncio.sleep(0.25)


async def views_settle(watchers: list[Watcher], expected: Inventory, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while any(w.view != expected for w in watchers):
        if time.monotonic() > deadline:
            report = {w.name: difference(expected, w.view) for w in watchers}
            raise AssertionError(f"subscriber views differ from the store: {report}")
        await asyncio.sleep(0.1)


async def quiet(watchers: list[Watcher], seconds: float = 1.0, within: float = 30) -> None:
    """Wait until no event has reached any subscriber for ``seconds``."""
    deadline = time.monotonic() + within
    while True:
        before = [len(w.events) for w in watchers]
        await asyncio.sleep(seconds)
        if [len(w.events) for w in watchers] == before:
            return
        if time.monotonic() > deadline:
            raise AssertionError("events never stopped coming")


async def sim(session: aiohttp.ClientSession, method: str, url: str, **body: Any) -> Any:
    async with session.request(method, url, json=body or None) as response:
        assert response.status == 200, await response.text()
        return await response.json()


@asynccontextmanager
async def lease_reader(url: str) -> AsyncIterator[LeaseStore]:
    client = NatsClient(url, name="test")
    await client.connect(5)
    leases = LeaseStore(client, PREFIX, float(TTL))
    try:
        await leases.open()
        yield leases
    finally:
        await client.close()


async def holder(leases: LeaseStore, name: str, within: float = 15) -> str:
    deadline = time.monotonic() + within
    while True:
        found = await leases.holder(name)
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"nobody holds {name}")
        await asyncio.sleep(0.1)


async def taken_over(leases: LeaseStore, name: str, previous: str, within: float) -> str:
    """Wait until someone other than ``previous`` (a holder, or its prefix) holds ``name``."""
    deadline = time.monotonic() + within
    while True:
        found = await leases.holder(name)
        if found and not found.startswith(previous):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} was not taken over from {previous} (holder: {found})")
        await asyncio.sleep(0.05)


async def test_agent_and_two_replicas_lose_nothing(tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "nats")
    await nats.start_async()
    try:
        async with postgres_database() as database_url:
            await run_scenario(tmp_path, nats, database_url)
    finally:
        await nats.stop_async()


async def run_scenario(tmp_path: Path, nats: NatsServer, database_url: str) -> None:
    sim_port, ports = free_port(), [free_port(), free_port()]
    kubeconfig = tmp_path / "kubeconfig"
    simulator_url = f"http://127.0.0.1:{sim_port}"
    common = ["--nats-url", nats.url, "--nats-prefix", PREFIX, "--lease-ttl", TTL]
    with processes() as started:
        simulator = Process(
            "simulator",
            [
                "simulate",
                "--port",
                str(sim_port),
                "--objects",
                "300",
                "--seed",
                "5",
                "--kubeconfig-out",
                str(kubeconfig),
            ],
            tmp_path / "simulator.log",
        )
        simulator.start()
        started.append(simulator)
        await wait_http(f"{simulator_url}/_sim/state")
        agent = Process(
            "agent", ["agent", "--kubeconfig", str(kubeconfig), *common], tmp_path / "agent.log"
        )
        agent.start()
        started.append(agent)
        async with lease_reader(nats.url) as leases:
            cluster_id = (await simulator_inventory(kubeconfig)).popitem()[0].split("/")[0]
            assert (await holder(leases, f"cluster.{cluster_id}", within=30)).startswith("agent")
        replicas = [
            Process(
                f"replica-{n}",
                [
                    "serve",
                    "--port",
                    str(port),
                    "--data-dir",
                    str(tmp_path / f"replica-{n}"),
                    "--database-url",
                    database_url,
                    "--kubeconfig",
                    str(kubeconfig),
                    *common,
                ],
                tmp_path / f"replica-{n}.log",
            )
            for n, port in enumerate(ports)
        ]
        for replica in replicas:
            replica.start()
            started.append(replica)
        for port in ports:
            await wait_http(f"http://127.0.0.1:{port}/readyz")
        watchers = [Watcher(f"replica-{n}", port) for n, port in enumerate(ports)]
        tasks = [asyncio.create_task(w.run(), name=f"watch {w.name}") for w in watchers]
        try:
            await scenario(
                nats, database_url, kubeconfig, simulator_url, cluster_id, agent, replicas, watchers
            )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def scenario(
    nats: NatsServer,
    database_url: str,
    kubeconfig: Path,
    simulator_url: str,
    cluster_id: str,
    agent: Process,
    replicas: list[Process],
    watchers: list[Watcher],
) -> None:
    async with aiohttp.ClientSession() as session, lease_reader(nats.url) as leases:
        expected = await converged(kubeconfig, database_url, within=40)
        async with asyncio.timeout(20):
            for watcher in watchers:
                await watcher.ready.wait()
        await views_settle(watchers, expected)

        # Both replicas deliver the same events, in the same order.
        await quiet(watchers)
        for watcher in watchers:
            watcher.events.clear()
        burst = await sim(session, "POST", f"{simulator_url}/_sim/churn/burst", events=150, seed=9)
        assert burst["applied"] > 0
        expected = await converged(kubeconfig, database_url)
        await views_settle(watchers, expected)
        # (Changes of one object that land in one batch are coalesced: fewer events.)
        assert watchers[0].events, "no event reached the subscribers"
        assert watchers[0].events == watchers[1].events

        # NATS restarts under everyone while the cluster churns.
        await sim(session, "POST", f"{simulator_url}/_sim/churn", rate=40, seed=3)
        await asyncio.sleep(1.0)  # time passes on purpose: churn before, during, after
        await nats.restart(downtime=1.0)
        await asyncio.sleep(2.0)  # (on purpose, as above)
        await sim(session, "DELETE", f"{simulator_url}/_sim/churn")
        expected = await converged(kubeconfig, database_url)
        await views_settle(watchers, expected)

        # The agent restarts: a replica takes the cluster over meanwhile, at once.
        await sim(session, "POST", f"{simulator_url}/_sim/churn", rate=40, seed=4)
        await agent.halt()
        await taken_over(leases, f"cluster.{cluster_id}", previous="agent", within=5)
        agent.start()
        # A replica restarts too; its subscriber reconnects and refetches.
        await replicas[0].halt()
        replicas[0].start()
        await asyncio.sleep(2.0)  # time passes on purpose: churn while the replica restarts
        await sim(session, "DELETE", f"{simulator_url}/_sim/churn")
        expected = await converged(kubeconfig, database_url)
        await views_settle(watchers, expected, within=30)

        # The replica that writes the store dies; the other one takes over.
        writer = await holder(leases, "writer")
        victim = next(r for r in replicas if writer.endswith(f":{r.pid}"))
        survivor = watchers[1 - replicas.index(victim)]
        await sim(session, "POST", f"{simulator_url}/_sim/churn", rate=40, seed=5)
        await asyncio.sleep(0.5)  # time passes on purpose: the writer dies mid-churn
        await victim.halt(signal.SIGKILL)
        await taken_over(leases, "writer", previous=writer, within=float(TTL) * 4)
        await asyncio.sleep(1.0)  # time passes on purpose: churn under the new writer
        await sim(session, "DELETE", f"{simulator_url}/_sim/churn")
        expected = await converged(kubeconfig, database_url)
        await views_settle([survivor], expected)
        print(
            json.dumps(
                {
                    w.name: {
                        "events": len(w.events),
                        "refetches": w.refetches,
                        "reconnects": w.reconnects,
                    }
                    for w in watchers
                }
            )
        )
