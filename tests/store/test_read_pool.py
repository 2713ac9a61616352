"""Queries never wait behind the writer: while a transaction stays open, reads of
resources and of the sync status answer from what is committed."""

from __future__ import annotations

import asyncio

import pytest

from graphql_server.errors import ConfigurationError
from graphql_server.labels import parse_selector
from graphql_server.store import Store
from graphql_server.store.resources import ResourceQuery
from tests.store.test_resources import CLUSTER, row

DEADLINE = 10.0  # the transaction only ends once the reads are back: waiting means failing


async def test_reads_do_not_wait_for_an_open_write_transaction(store: Store) -> None:
    await store.resources.apply([row("u1", "api"), row("u2", "web")], [])
    await store.clusters.upsert(CLUSTER, "one", "https://k8s", "v1.30")
    holding, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with store.database.transaction() as conn:
            await conn.execute_query("UPDATE resources SET resource_version = '2'")
            await conn.execute_query("DELETE FROM resources WHERE uid = 'u2'")
            holding.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    try:
        await asyncio.wait_for(holding.wait(), DEADLINE)
        page = await asyncio.wait_for(store.resources.page(ResourceQuery(), 10), DEADLINE)
        count = await asyncio.wait_for(store.resources.count(ResourceQuery()), DEADLINE)
        labelled = await asyncio.wait_for(
            store.resources.count(ResourceQuery(selector=parse_selector("app"))), DEADLINE
        )
        clusters = await asyncio.wait_for(store.clusters.all(), DEADLINE)
        assert not writer.done(), "the transaction was still open during the reads"
        # What is committed, not the transaction in progress.
        assert [r["name"] for r in page.rows] == ["api", "web"]
        assert {r["resource_version"] for r in page.rows} == {"1"}
        assert count == 2
        assert labelled == 0
        assert [c.id for c in clusters] == [CLUSTER]
    finally:
        release.set()
        await writer
    after = await store.resources.page(ResourceQuery(), 10)
    assert [(r["name"], r["resource_version"]) for r in after.rows] == [("api", "2")]


async def test_the_pool_size_must_be_positive(database_url: str) -> None:
    with pytest.raises(ConfigurationError, match="pool size"):
        await Store.open(database_url, pool_size=0)
