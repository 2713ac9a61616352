"""The first load of an empty SQLite inventory: secondary indexes set aside while it
fills, every one of them back once its lists are stored, also after a stop midway."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from graphql_server.store import Store
from graphql_server.store.bulk_load import (
    CHECKPOINT_PAGES,
    LOAD_CHECKPOINT_PAGES,
    build_deferred_indexes,
    defer_indexes,
)
from graphql_server.store.name_search import NAMES, TRIGGERS
from graphql_server.store.resources import ResourceQuery
from tests.conftest import postgres_database
from tests.store.test_resources import row
from tests.sync.harness import converge, simulator_inventory, synced_cluster


async def indexes(store: Store) -> set[str]:
    """The tables' secondary indexes, and the triggers that keep the name index current."""
    _, rows = await store.database.connection().execute_query(
        "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
        "AND tbl_name IN ('resources', 'resource_labels')"
    )
    return {str(r["name"]) for r in rows}


async def names_found(store: Store, text: str) -> set[int]:
    """Rows the name index gives for ``text``."""
    _, found = await store.database.connection().execute_query(
        f"SELECT rowid AS id FROM {NAMES} WHERE name LIKE ?", [f"%{text}%"]
    )
    return {int(r["id"]) for r in found}


async def indexed_names(store: Store, text: str) -> set[int]:
    """Rows the name index gives for ``text``, checked equal to those that contain it."""
    _, contained = await store.database.connection().execute_query(
        "SELECT id FROM resources WHERE name LIKE ?", [f"%{text}%"]
    )
    found = await names_found(store, text)
    assert found == {int(r["id"]) for r in contained}
    return found


async def checkpoint_pages(store: Store) -> int:
    """How often the writer's connection checkpoints its write-ahead log, in pages."""
    _, rows = await store.database.connection().execute_query("PRAGMA wal_autocheckpoint")
    return int(rows[0][0])


async def deferred(store: Store) -> set[str]:
    _, rows = await store.database.connection().execute_query("SELECT name FROM deferred_indexes")
    return {str(r["name"]) for r in rows}


async def test_an_empty_inventory_fills_without_its_indexes_then_has_all(
    tmp_path: Path,
) -> None:
    url = f"sqlite://{tmp_path / 'inventory.sqlite3'}"
    store = await Store.open(url)
    every = await indexes(store)
    await store.close()
    assert len(every) > 10
    async with synced_cluster(url, tmp_path, objects=600) as synced:
        set_aside = await deferred(synced.store)
        assert set_aside
        assert set_aside <= every
        assert set(TRIGGERS) <= set_aside  # the name index is not kept row by row either
        assert not synced.store.database.names_indexed  # searches read every name meanwhile
        assert await indexes(synced.store) == every - set_aside  # the sweep's index stays
        assert await checkpoint_pages(synced.store) == LOAD_CHECKPOINT_PAGES
        expected = len(simulator_inventory(synced.cluster))
        seen: list[tuple[str, int]] = []  # (phase, count) as the API reads them
        async with asyncio.timeout(60):
            while not seen or seen[-1][0] != "SYNCED":
                record = await synced.store.clusters.get(synced.cluster.uid)
                kinds = await synced.store.clusters.kinds(synced.cluster.uid)
                if record is not None:
                    seen.append((record.phase, sum(k.resource_count for k in kinds)))
                await asyncio.sleep(0.01)
        # SYNCED is only said once the indexes are back, and with every object counted.
        assert await indexes(synced.store) == every
        assert {count for phase, count in seen if phase == "SYNCED"} == {expected}
        assert await deferred(synced.store) == set()
        assert await checkpoint_pages(synced.store) == CHECKPOINT_PAGES
        # The name index was rebuilt from every name, and searches read through it again.
        assert synced.store.database.names_indexed
        page = await synced.store.resources.page(ResourceQuery(), 1)
        text = page.rows[0]["name"][1:5]
        assert await indexed_names(synced.store, text)
        matches = await indexed_names(synced.store, text)
        assert await synced.store.resources.count(ResourceQuery(search=text)) == len(matches)
        await converge(synced.store, synced.cluster)


async def test_a_first_load_stopped_midway_has_its_indexes_at_the_next_start(
    tmp_path: Path,
) -> None:
    url = f"sqlite://{tmp_path / 'inventory.sqlite3'}"
    store = await Store.open(url)
    every = await indexes(store)
    try:
        assert await defer_indexes(store.database) > 0
        assert len(await indexes(store)) < len(every)
        await store.resources.apply([row(f"uid-{i}", f"loaded-{i}") for i in range(50)], [])
        assert await names_found(store, "loaded-") == set()  # its triggers are set aside
    finally:
        await store.close()
    store = await Store.open(url)
    try:
        assert await indexes(store) == every
        assert await deferred(store) == set()
        assert store.database.names_indexed
        assert len(await indexed_names(store, "loaded-")) == 50
        assert await store.resources.count(ResourceQuery(search="aded-4")) == 11
    finally:
        await store.close()


async def test_an_inventory_with_rows_keeps_its_indexes(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite://{tmp_path / 'inventory.sqlite3'}")
    try:
        every = await indexes(store)
        await store.resources.apply([row("uid-1", "one")], [])
        assert await defer_indexes(store.database) == 0
        assert await indexes(store) == every
    finally:
        await store.close()


async def postgres_indexes(store: Store) -> set[str]:
    _, rows = await store.database.connection().execute_query(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'resources'"
    )
    return {str(r["indexname"]) for r in rows}


@pytest.mark.postgres
async def test_postgresql_sets_its_indexes_aside_once_and_builds_them_back() -> None:
    """Two replicas starting on one empty database: the indexes are set aside once,
    the constraints and the sweep's index stay, and all come back once built."""
    async with postgres_database() as url:
        first, second = await Store.open(url), await Store.open(url)
        try:
            every = await postgres_indexes(first)
            counts = await asyncio.gather(
                defer_indexes(first.database), defer_indexes(second.database)
            )
            assert sorted(counts)[0] == 0
            assert sorted(counts)[1] > 5
            left = await postgres_indexes(first)
            assert {"resources_pkey", "idx_resources_cluster_eb4b5e"} <= left
            assert any(name.startswith("uid_resources_cluster") for name in left)
            assert "idx_resources_labels_gin" not in left
            await first.resources.apply([row("uid-1", "one", labels={"app": "web"})], [])
            assert await build_deferred_indexes(second.database) == sorted(counts)[1]
            assert await postgres_indexes(first) == every
            assert await defer_indexes(first.database) == 0  # no longer empty
        finally:
            await first.close()
            await second.close()


@pytest.mark.postgres
async def test_postgresql_plans_a_growing_table_by_its_size() -> None:
    """Filled from empty, the table's statistics are refreshed as it grows (planned
    as empty, each batch's lookup by (cluster, uid) read the whole cluster)."""
    async with postgres_database() as url:
        store = await Store.open(url)
        try:
            for start in range(0, 2500, 500):
                await store.resources.apply(
                    [row(f"uid-{i}", f"name-{i}") for i in range(start, start + 500)], []
                )
            connection = store.database.connection()
            _, stats = await connection.execute_query(
                "SELECT reltuples FROM pg_class WHERE relname = 'resources'"
            )
            assert stats[0]["reltuples"] >= 2000
        finally:
            await store.close()
