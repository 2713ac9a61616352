"""PostgreSQL going away under a running sync: nothing acknowledged is lost or invented.

The database refuses connections for a while (``ALLOW_CONNECTIONS false``, its
backends terminated) while the simulated cluster keeps changing; afterwards the
store must hold exactly the cluster's objects, and meanwhile the status must have
told the truth: DEGRADED with the error, ``/readyz`` 503, one event per change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from graphql_server.simulator import SimulatedCluster
from graphql_server.store import Store
from tests.conftest import POSTGRES_ADMIN_URL, postgres_database
from tests.faults.harness import served_sync
from tests.helpers import until
from tests.sync.harness import converge

pytestmark = pytest.mark.postgres


@asynccontextmanager
async def refusing(url: str) -> AsyncIterator[None]:
    """The database at ``url`` refuses new connections and loses its current ones."""
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_a_failed_begin_leaves_no_dead_connection_behind() -> None:
    """Every pooled connection is killed: the next transaction of the same task may fail,
    but the ones after it get a fresh connection (no task keeps the dead one)."""
    async with postgres_database() as url:
        store = await Store.open(url)
        try:
            async with store.database.transaction() as conn:
                await conn.execute_query("SELECT 1")
            async with refusing(url):
                with pytest.raises(Exception):  # noqa: B017, PT011 - any driver error will do
                    async with store.database.transaction() as conn:
                        await conn.execute_query("SELECT 1")

            async def commits() -> bool:
                try:
                    async with store.database.transaction() as conn:
                        await conn.execute_query("SELECT 1")
                except Exception:
                    return False
                return True

            await until(commits, 10, "a transaction commits once connections are allowed")
            await store.database.ping()  # the same task's ping uses a live connection too
        finally:
            await store.close()


async def test_outage_under_churn_loses_nothing_and_is_reported(tmp_path: Path) -> None:
    cluster = SimulatedCluster("sim", seed=7, bookmark_interval=0.3)
    cluster.seed_objects(300)
    async with (
        postgres_database() as url,
        cluster.serving() as running,
        served_sync(url, tmp_path, cluster, running.write_kubeconfig(tmp_path / "kc")) as synced,
    ):
        await converge(synced.store, cluster)
        await until(lambda: synced.phase() == "SYNCED", 10, "the cluster is SYNCED")
        await cluster.start_churn(100, seed=3)
        async with refusing(url):
            await until(
                lambda: synced.service.writer.unavailable is not None,
                20,
                "the writer notices it cannot commit",
            )
            await until(lambda: synced.phase() == "DEGRADED", 5, "the cluster turns DEGRADED")
            status, body = await synced.readiness()
            assert status == 503, body
            assert "not currently accepting connections" in body["reason"], body
            # Let the churn go on against the dead database for a while (on purpose).
            applied = cluster.churn.applied if cluster.churn else 0
            await until(
                lambda: cluster.churn is not None and cluster.churn.applied > applied + 100,
                20,
                "the cluster changes during the outage",
            )
        await until(
            lambda: synced.service.writer.unavailable is None, 30, "the writer commits again"
        )
        await cluster.stop_churn()
        await converge(synced.store, cluster, within=60)
        await until(lambda: synced.phase() == "SYNCED", 10, "the cluster is SYNCED again")
        status, body = await synced.readiness()
        assert status == 200, body
        assert synced.service.writer.rejected_rows == 0  # nothing was taken for bad content

        async def two_events() -> bool:
            return len(await synced.sync_events()) >= 2

        await until(two_events, 20, "the outage and the recovery are in the event log")
        alive = {task.get_name() for task in asyncio.all_tasks() if not task.done()}
        kept = {"sync:writer", "sync:status", "connections:monitoring", "connections:sync-errors"}
        assert kept <= alive, kept - alive  # none was left dead by the outage
        events = await synced.sync_events()
        assert len(events) == 2, events
        assert "degraded" in events[0], events
        assert "cannot save changes" in events[0], events
        assert "recovered" in events[1], events
