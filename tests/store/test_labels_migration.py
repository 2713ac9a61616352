"""Migration 0010 stores SQLite's label index WITHOUT ROWID, with every label row kept
and the (key, value) index back, and label selectors answer through it as before."""

from __future__ import annotations

from pathlib import Path

from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from graphql_server.labels import parse_selector
from graphql_server.store import Store
from graphql_server.store.database import Database, tortoise_config
from graphql_server.store.resources_query import ResourceQuery
from tests.store.test_resources import row


async def labels_table(database: Database) -> str:
    _, rows = await database.connection().execute_query(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'resource_labels'"
    )
    return str(rows[0]["sql"])


async def test_labels_stored_before_are_kept_in_a_table_without_rowid(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'inventory.sqlite3'}"
    database = Database(url)
    await database.open(migrate=False)
    try:
        apps = tortoise_config(database.url)["apps"]
        await MigrationExecutor(database.connection(), apps).migrate(
            [MigrationTarget(app_label="inventory", name="0009_name_trigrams")]
        )
        assert "WITHOUT ROWID" not in await labels_table(database)
        for uid, app in (("u1", "web"), ("u2", "db"), ("u3", "web")):
            await database.connection().execute_query(
                "INSERT INTO resource_labels (cluster_id, uid, key, value) VALUES (?, ?, ?, ?)",
                ["c1", uid, "app", app],
            )
        await MigrationExecutor(database.connection(), apps).migrate()
        assert "WITHOUT ROWID" in await labels_table(database)
        _, rows = await database.connection().execute_query(
            "SELECT uid, value FROM resource_labels ORDER BY uid"
        )
        assert [(r["uid"], r["value"]) for r in rows] == [
            ("u1", "web"),
            ("u2", "db"),
            ("u3", "web"),
        ]
        _, indexes = await database.connection().execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'resource_labels'"
            " AND sql IS NOT NULL"
        )
        assert [r["name"] for r in indexes] == ["idx_resource_labels_pair"]
    finally:
        await database.close()


async def test_label_selectors_read_the_rebuilt_index(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite://{tmp_path / 'inventory.sqlite3'}")
    try:
        web = row("uid-1", "one", labels={"app": "web", "tier": "front"})
        db = row("uid-2", "two", labels={"app": "db"})
        await store.resources.apply([web, db], [])
        query = ResourceQuery(selector=parse_selector("app=web"))
        page = await store.resources.page(query, first=10)
        assert [r["uid"] for r in page.rows] == ["uid-1"]
        moved = row("uid-2", "two", version="2", labels={"app": "web"})
        await store.resources.apply([moved], [])
        page = await store.resources.page(query, first=10)
        assert sorted(r["uid"] for r in page.rows) == ["uid-1", "uid-2"]
    finally:
        await store.close()
