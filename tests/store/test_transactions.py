"""The store's own transaction helper: commit on exit, roll back on error."""

from __future__ import annotations

import pytest

from graphql_server.errors import StoreUnavailable
from graphql_server.store import Database, Store
from tests.store.test_resources import CLUSTER, row


async def _delete_all_then_fail(store: Store) -> None:
    async with store.database.transaction() as conn:
        await conn.execute_query("DELETE FROM resources")
        raise RuntimeError("abandon")


async def _enter(database: Database) -> None:
    async with database.transaction():
        pass


async def test_an_error_rolls_the_whole_transaction_back(store: Store) -> None:
    await store.resources.apply([row("u1", "a"), row("u2", "b")], [])
    with pytest.raises(RuntimeError, match="abandon"):
        await _delete_all_then_fail(store)
    assert sorted(await store.resources.versions(CLUSTER)) == ["u1", "u2"]
    async with store.database.transaction() as conn:
        await conn.execute_query("DELETE FROM resources")
    assert await store.resources.versions(CLUSTER) == {}


async def test_a_closed_database_has_no_transaction() -> None:
    database = Database("sqlite://:memory:")
    with pytest.raises(StoreUnavailable, match="not open"):
        await _enter(database)
