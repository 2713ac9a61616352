"""Discovery through NATS JetStream into the store, in one test process.

A discovery agent publishes a simulated cluster's operations; a scale-out sync
service (the store writer of a replica) applies them to SQLite or PostgreSQL. The
store ends exactly equal to the simulator; replayed, duplicated, reordered and
stale-epoch messages change nothing; huge sweeps travel in parts; a NATS restart
loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from nats.js.errors import NotFoundError

from graphql_server.broker.codec import decode
from graphql_server.broker.nats import NatsBroker, NatsOptions
from graphql_server.broker.oplog import OperationLog, ops_subject
from graphql_server.broker.outbox import unframe
from graphql_server.events import RESOURCES_TOPIC, Missed
from graphql_server.kube.discovery import ResourceType
from graphql_server.settings import Settings
from graphql_server.simulator import SimulatedCluster
from graphql_server.store import Store
from graphql_server.store.positions import Cursor, StreamPositions
from graphql_server.store.resources import ResourceRow
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.scaleout.agent import Agent
from graphql_server.sync.scaleout.applying import CURSOR
from graphql_server.sync.scaleout.operations import Hello, encode, encode_within
from graphql_server.sync.scaleout.replica import ScaleOutOptions, scale_out_sync
from graphql_server.sync.service import SyncService, sync_options
from graphql_server.sync.writer import Delete, Sweep, Upsert
from tests.helpers import until
from tests.natsserver import NatsServer, nats_server
from tests.store.test_resources import row
from tests.sync.harness import FAST_WATCH, converge, store_inventory

pytestmark = pytest.mark.nats
__all__ = ["nats_server"]  # the fixture, for the tests below

PREFIX = "t"
TTL = 2.0


def scale_out() -> ScaleOutOptions:
    return ScaleOutOptions(prefix=PREFIX, lease_ttl=TTL)


@dataclass
class Deployment:
    cluster: SimulatedCluster
    kubeconfig: Path
    store: Store
    broker: NatsBroker
    service: SyncService


@asynccontextmanager
async def agent(url: str, kubeconfig: Path) -> AsyncIterator[Agent]:
    options = sync_options(Settings(), FAST_WATCH)
    source = ClusterSource(name="sim", kubeconfig=kubeconfig)
    async with Agent(url, [source], options, scale_out(), connect_wait=5) as running:
        yield running


@asynccontextmanager
async def replica(url: str, database_url: str) -> AsyncIterator[tuple[Store, SyncService]]:
    store = await Store.open(database_url)
    broker = NatsBroker(url, NatsOptions(prefix=PREFIX, heartbeat=0.3, connect_wait=5))
    await broker.start()
    options = sync_options(Settings(), FAST_WATCH)
    try:
        async with scale_out_sync(
            store, broker, options, (), scale_out=scale_out(), status_interval=0.1
        ) as service:
            yield store, service
    finally:
        await broker.stop()
        await store.close()


@asynccontextmanager
async def simulated(
    tmp_path: Path, objects: int = 200
) -> AsyncIterator[tuple[SimulatedCluster, Path]]:
    cluster = SimulatedCluster("sim", seed=11, bookmark_interval=0.3)
    cluster.seed_objects(objects)
    async with cluster.serving() as running:
        yield cluster, running.write_kubeconfig(tmp_path / "kubeconfig")


async def test_an_agent_feeds_the_store_through_jetstream(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with (
        simulated(tmp_path) as (cluster, kubeconfig),
        replica(nats_server.url, database_url) as (store, service),
        agent(nats_server.url, kubeconfig) as running,
    ):
        await converge(store, cluster, within=60)
        assert running.holding == [cluster.uid]
        churn = await cluster.start_churn(80, seed=3)
        await until(lambda: churn.applied >= 120, 20, "the cluster churns")
        await cluster.stop_churn()
        await converge(store, cluster, within=30)
        # The store writer keeps the sync status from the agent's progress messages.
        record = await store.clusters.get(cluster.uid)
        assert record is not None
        assert record.name == "sim"
        async with asyncio.timeout(10):
            while True:
                record = await store.clusters.get(cluster.uid)
                if record is not None and record.phase == "SYNCED":
                    break
                await asyncio.sleep(0.1)
        assert service.feed.applier.applied_messages > 0


async def test_nats_restarting_loses_nothing(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with (
        simulated(tmp_path) as (cluster, kubeconfig),
        replica(nats_server.url, database_url) as (store, _),
        agent(nats_server.url, kubeconfig),
    ):
        await converge(store, cluster, within=60)
        churn = await cluster.start_churn(50, seed=4)
        await nats_server.stop_async()
        # Changes keep coming while NATS is away: they wait.
        applied = churn.applied
        await until(lambda: churn.applied >= applied + 40, 20, "changes during the outage")
        await nats_server.start_async()
        applied = churn.applied
        await until(lambda: churn.applied >= applied + 40, 20, "changes after the outage")
        await cluster.stop_churn()
        await converge(store, cluster, within=40)


async def test_a_standby_agent_takes_over_within_the_lease(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with (
        simulated(tmp_path) as (cluster, kubeconfig),
        replica(nats_server.url, database_url) as (store, _),
        agent(nats_server.url, kubeconfig) as first,
    ):
        await converge(store, cluster, within=60)
        async with agent(nats_server.url, kubeconfig) as second:
            await asyncio.sleep(TTL)  # time passes on purpose: a lease's worth of contention
            assert first.holding == [cluster.uid]
            assert second.holding == []  # exactly one holder
            # The holder loses NATS without a word (as if it died): the standby takes over.
            await first.broker.client.close()
            started = time.monotonic()
            async with asyncio.timeout(TTL * 4):
                while True:
                    if second.holding == [cluster.uid]:
                        break
                    await asyncio.sleep(0.05)
            assert time.monotonic() - started < TTL * 3
            churn = await cluster.start_churn(50, seed=8)
            await until(lambda: churn.applied >= 40, 20, "the cluster churns")
            await cluster.stop_churn()
            await converge(store, cluster, within=30)
            assert first.holding == []


# -- messages delivered again, late, or from a former holder -------------------------

RTYPE = ResourceType(group="", version="v1", kind="Pod", plural="pods", namespaced=True)
CLUSTER = "c-1"


async def publish(oplog: OperationLog, epoch: int, batch: int, *items: object) -> None:
    """One message, as a holder at ``epoch`` would send its ``batch``-th."""
    payload = b"".join(oplog.framed(encode(item)) for item in items)  # type: ignore[arg-type]
    await oplog.client.js.publish(
        ops_subject(PREFIX, CLUSTER),
        payload,
        headers={
            "Nats-Msg-Id": f"test-{epoch}-{batch}-{time.monotonic_ns()}",
            "Gs-Producer": "test",
            "Gs-Epoch": str(epoch),
            "Gs-Batch": str(batch),
        },
    )


def pod(uid: str, version: str) -> ResourceRow:
    return row(uid, f"pod-{uid}", version=version)


async def wait_for(store: Store, expected: dict[str, str], within: float = 15) -> None:
    deadline = time.monotonic() + within
    while True:
        actual = {uid: v for (_, uid), v in (await store_inventory(store, CLUSTER)).items()}
        if actual == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"store holds {actual}, not {expected}")
        await asyncio.sleep(0.05)


async def test_replays_duplicates_and_former_holders_change_nothing(
    nats_server: NatsServer, database_url: str
) -> None:
    async with replica(nats_server.url, database_url) as (store, service):
        oplog = service.feed.oplog
        hello = Hello(CLUSTER, "c", "https://c", "v1")
        await publish(oplog, 10, 1, hello, Upsert(RTYPE, [pod("a", "5"), pod("b", "5")]))
        await publish(oplog, 10, 2, Upsert(RTYPE, [pod("a", "7")]))
        await publish(oplog, 10, 3, Delete(CLUSTER, RTYPE, "b", "8"))
        await wait_for(store, {"a": "7"})
        applied = service.feed.applier.applied_messages
        # The same batches again (a producer retrying after its dedupe window).
        await publish(oplog, 10, 2, Upsert(RTYPE, [pod("a", "7")]))
        await publish(oplog, 10, 1, hello, Upsert(RTYPE, [pod("a", "5"), pod("b", "5")]))
        # A former holder's late messages: an older epoch, whatever they say.
        await publish(
            oplog, 9, 50, Upsert(RTYPE, [pod("c", "1")]), Delete(CLUSTER, RTYPE, "a", "9")
        )
        # The holder goes on.
        await publish(oplog, 10, 4, Upsert(RTYPE, [pod("d", "9")]))
        await wait_for(store, {"a": "7", "d": "9"})
        assert service.feed.applier.skipped_messages == 3
        assert service.feed.applier.applied_messages == applied + 1
        # A new holder (a newer epoch) relists; the old epoch is fenced from now on.
        await publish(
            oplog,
            11,
            1,
            Upsert(RTYPE, [pod("a", "7"), pod("e", "10")]),
            Sweep(CLUSTER, RTYPE, {"a", "e"}, "10"),
        )
        await publish(oplog, 10, 5, Upsert(RTYPE, [pod("f", "11")]))
        await wait_for(store, {"a": "7", "e": "10"})


async def test_a_gap_in_a_holders_batches_asks_it_to_relist(
    nats_server: NatsServer, database_url: str
) -> None:
    async with replica(nats_server.url, database_url) as (store, service):
        oplog = service.feed.oplog
        hello = Hello(CLUSTER, "c", "https://c", "v1")
        await publish(oplog, 10, 1, hello, Upsert(RTYPE, [pod("a", "5")]))
        await wait_for(store, {"a": "5"})
        assert service.feed.applier.resyncs_requested == 0
        # Batches 2 and 3 never arrive (lost in a retention gap): batch 4 is applied, and
        # the holder is asked to relist so that what 2 and 3 said is not lost.
        await publish(oplog, 10, 4, Upsert(RTYPE, [pod("b", "9")]))
        await wait_for(store, {"a": "5", "b": "9"})
        assert service.feed.applier.resyncs_requested == 1
        await publish(oplog, 10, 5, Upsert(RTYPE, [pod("c", "10")]))
        await wait_for(store, {"a": "5", "b": "9", "c": "10"})
        assert service.feed.applier.resyncs_requested == 1, "consecutive batches ask nothing"


async def test_a_writer_that_restarts_replays_nothing_twice(
    nats_server: NatsServer, database_url: str
) -> None:
    async with replica(nats_server.url, database_url) as (store, service):
        oplog = service.feed.oplog
        await publish(oplog, 3, 1, Upsert(RTYPE, [pod("a", "1"), pod("b", "2")]))
        await wait_for(store, {"a": "1", "b": "2"})
        # Rows are visible a moment before the position that covers them is saved: a
        # writer stopped in between would rightly apply that message again.
        positions = StreamPositions(store.database)

        async def saved() -> bool:
            cursor = await positions.cursor(CURSOR)
            return cursor is not None and cursor.seq >= 1

        await until(saved, 10, "the position of the applied message is saved")
    # Meanwhile: b deleted, c added. The writer that comes back starts where it stopped.
    async with replica(nats_server.url, database_url) as (store, service):
        await publish(service.feed.oplog, 3, 2, Delete(CLUSTER, RTYPE, "b", "3"))
        await publish(service.feed.oplog, 3, 3, Upsert(RTYPE, [pod("c", "4")]))
        await wait_for(store, {"a": "1", "c": "4"})
        assert service.feed.applier.skipped_messages == 0
        assert service.feed.applier.applied_messages == 2


async def test_a_sweep_too_large_for_one_message_arrives_in_parts(
    nats_server: NatsServer, database_url: str
) -> None:
    async with replica(nats_server.url, database_url) as (store, service):
        oplog = service.feed.oplog
        uids = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(30)]
        await publish(oplog, 5, 1, Upsert(RTYPE, [pod(uid, "1") for uid in uids]))
        await wait_for(store, dict.fromkeys(uids, "1"))
        keep = set(uids[::2])
        parts = encode_within(Sweep(CLUSTER, RTYPE, keep, "5"), limit=400)
        assert len(parts) > 3
        for batch, data in enumerate(parts, start=2):
            await oplog.client.js.publish(
                ops_subject(PREFIX, CLUSTER),
                oplog.framed(data),
                headers={
                    "Nats-Msg-Id": f"part-{batch}",
                    "Gs-Producer": "test",
                    "Gs-Epoch": "5",
                    "Gs-Batch": str(batch),
                },
            )
            if batch == 3:
                # Until the last part is in, nothing is swept: the parts so far are
                # received (taken by the applier) and still nothing is gone.
                await until(
                    lambda: service.feed.applier.applied_messages >= 3,
                    10,
                    "the first parts are received",
                )
                await service.writer.idle()
                assert len(await store_inventory(store, CLUSTER)) == 30
        await wait_for(store, dict.fromkeys(sorted(keep), "1"))


async def test_a_writer_that_died_mid_batch_makes_subscribers_refetch(
    nats_server: NatsServer, database_url: str
) -> None:
    """Its batch's events may never have been published: every replica is told."""
    store = await Store.open(database_url)
    await StreamPositions(store.database).mark_pending(CURSOR, Cursor(0, "", 7))
    await store.close()
    async with replica(nats_server.url, database_url) as (_, service):
        js = service.feed.oplog.client.js
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(NotFoundError):
                    last = await js.get_last_msg(
                        f"{PREFIX}_EVENTS_RESOURCES", f"{PREFIX}.events.resources"
                    )
                    break
                await asyncio.sleep(0.05)
        assert [decode(entry) for entry in unframe(last.data)] == [
            Missed(topic=RESOURCES_TOPIC, dropped=0)
        ]


async def test_what_the_store_holds_leaves_the_stream(
    nats_server: NatsServer, database_url: str
) -> None:
    async with replica(nats_server.url, database_url) as (store, service):
        oplog = service.feed.oplog
        for batch in range(1, 4):
            await publish(oplog, 2, batch, Upsert(RTYPE, [pod(f"u{batch}", "1")]))
        await wait_for(store, {"u1": "1", "u2": "1", "u3": "1"})
        async with asyncio.timeout(10):
            while True:
                state = await oplog.state()
                if state.first_seq > state.last_seq:
                    break
                await asyncio.sleep(0.05)
