"""SQLite's trigram index of names: a name search read through it gives exactly what
reading every name gives, its plan reads only the names that match, and the index
follows inserts, renames and deletes."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from graphql_server.store import Store
from graphql_server.store.database import tortoise_config
from graphql_server.store.name_search import NAMES, SPARSE
from graphql_server.store.resources import ResourceQuery
from tests.store.test_read_plans import NAMES_LOOKUP, plan, unindexed
from tests.store.test_resources import CLUSTER, row

TRICKY = [
    "Web-API-Server",
    "web-api-worker",
    "WEB-Api-cache",
    "100%-done",
    "100x-done",
    "a_b-thing",
    "aXb-thing",
    "back\\slash-one",
    "backXslash-two",
    "élan-vital",
    "ÉLAN-vital",
    "Élan-other",
    "日本語-名前",
    "名前-テスト",
    "a",
    "ab",
]
SEARCHES = [
    "api",
    "API-s",
    "aPi-W",
    "100%",
    "0%-d",
    "%-d",
    "a_b",
    "_b-t",
    "a_b-thing",
    "\\sla",
    "k\\s",
    "\\",
    "élan",
    "ÉLAN",
    "Élan-",
    "lan-vi",
    "名前",
    "本語-名",
    "ap",
    "p",
    "%",
    "_",
    "app-1",
    "pp-2",
    "-1",
    "nothing-like-it",
]


def ascii_lower(text: str) -> str:
    """SQLite's LIKE folds the case of ASCII letters only."""
    return "".join(c.lower() if c.isascii() else c for c in text)


def expected(names: list[str], text: str) -> list[str]:
    return sorted(n for n in names if ascii_lower(text) in ascii_lower(n))


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> Store:
    return await Store.open(f"sqlite://{tmp_path / 'inventory.sqlite3'}")


async def names_of(store: Store, text: str, first: int = 7, descending: bool = False) -> list[str]:
    """Every name a search finds, page by page (``first`` at a time), in page order."""
    names: list[str] = []
    after = None
    while True:
        page = await store.resources.page(
            ResourceQuery(search=text), first, after, "NAME", descending
        )
        names += [r["name"] for r in page.rows]
        if not page.has_next:
            return names
        after = page.cursors[-1]


async def test_searches_through_the_index_find_what_reading_every_name_finds(
    sqlite_store: Store,
) -> None:
    store = sqlite_store
    try:
        assert store.database.names_indexed
        names = TRICKY + [f"app-{i}-{i * 7919 % 1000:03d}" for i in range(300)]
        await store.resources.apply([row(f"uid-{i}", n) for i, n in enumerate(names)], [])
        for text in SEARCHES:
            found = {}
            for indexed in (True, False):
                store.database.names_indexed = indexed
                store.resources.probes = type(store.resources.probes)()  # no remembered answers
                found[indexed] = (
                    await names_of(store, text),
                    await names_of(store, text, first=3, descending=True),
                    await store.resources.count(ResourceQuery(search=text)),
                )
            ascending, descending, total = found[True]
            assert found[True] == found[False], text
            assert sorted(ascending) == expected(names, text), text
            assert ascending == sorted(ascending)
            assert descending == ascending[::-1]
            assert total == len(ascending)
    finally:
        await store.close()


async def test_a_search_plan_reads_the_matching_names_only(sqlite_store: Store) -> None:
    store = sqlite_store
    try:
        await store.resources.apply(
            [row(f"uid-{i}", f"{'web' if i % 50 == 0 else 'app'}-{i}") for i in range(600)], []
        )
        query = ResourceQuery(search="web-")
        page = await store.resources.page(query, 5)
        assert [r["name"] for r in page.rows] == [
            "web-0",
            "web-100",
            "web-150",
            "web-200",
            "web-250",
        ]
        for sql, values in (
            store.resources.page_statement(query, 100),
            store.resources.page_statement(query, 100, page.cursors[-1]),
            store.resources.page_statement(query, 100, None, "CREATED_AT", True),
            store.resources.count_statement(query),
        ):
            text = await plan(store, sql, values)
            assert NAMES_LOOKUP.search(text), text
            assert "SCAN resources" not in text, text
            assert unindexed(store, text) == [], text
        # Shorter than a trigram, or no three characters without a wildcard: every name.
        for short in ("we", "w_b", "e%b-"):
            sql, values = store.resources.page_statement(ResourceQuery(search=short), 100)
            assert NAMES not in sql
            sql, values = store.resources.count_statement(ResourceQuery(search=short))
            assert NAMES not in sql
    finally:
        await store.close()


async def test_a_common_text_reads_the_names_in_order(sqlite_store: Store) -> None:
    """More than ``SPARSE`` names match: the ordered name index finds a page sooner."""
    store = sqlite_store
    try:
        rows = [row(f"uid-{i}", f"common-{i:05d}") for i in range(SPARSE + 10)]
        rows += [row("uid-rare", "rare-one")]
        await store.resources.apply(rows, [])
        assert not await store.resources.probes.sparse(store.database.reader(), "common")
        assert await store.resources.probes.sparse(store.database.reader(), "rare")
        page = await store.resources.page(ResourceQuery(search="mmon-"), 3)
        assert [r["name"] for r in page.rows] == ["common-00000", "common-00001", "common-00002"]
        assert await store.resources.count(ResourceQuery(search="mmon-")) == SPARSE + 10
        assert await store.resources.count(ResourceQuery(search="are-o")) == 1
    finally:
        await store.close()


async def test_the_index_follows_inserts_renames_and_deletes(sqlite_store: Store) -> None:
    store = sqlite_store
    resources = store.resources

    async def found(text: str) -> list[str]:
        resources.probes = type(resources.probes)()
        return await names_of(store, text)

    async def indexed(text: str) -> int:
        _, rows = await store.database.connection().execute_query(
            f"SELECT COUNT(*) AS n FROM {NAMES} WHERE name LIKE ?", [f"%{text}%"]
        )
        return int(rows[0]["n"])

    try:
        await resources.apply([row("u1", "alpha-one"), row("u2", "beta-two")], [])
        assert await found("pha-") == ["alpha-one"]
        await resources.apply([row("u1", "gamma-one", version="2")], [])  # renamed
        assert await found("pha-") == []
        assert await found("mma-o") == ["gamma-one"]
        assert await indexed("pha-") == 0
        await resources.apply([row("u2", "beta-two", version="3")], [])  # name kept
        assert await found("ta-tw") == ["beta-two"]
        await resources.apply([], [(CLUSTER, "u2")])
        assert await found("ta-tw") == []
        assert await indexed("ta-tw") == 0
        await resources.apply([row("u3", "delta-three", kind="Service")], [])
        await resources.sweep(CLUSTER, "services", keep=[])
        assert await found("lta-") == []
        await resources.delete_cluster(CLUSTER)
        assert await found("mma-") == []
        assert await indexed("a") == 0
    finally:
        await store.close()


async def test_names_stored_before_the_migration_are_indexed(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'inventory.sqlite3'}"
    store = await Store.open(url)
    try:
        await store.resources.apply([row(f"uid-{i}", f"before-{i}") for i in range(30)], [])
        apps = tortoise_config(store.database.url)["apps"]
        executor = MigrationExecutor(store.database.connection(), apps)
        await executor.migrate(
            [MigrationTarget(app_label="inventory", name="0010_labels_without_rowid")]
        )
        _, tables = await store.database.connection().execute_query(
            "SELECT name FROM sqlite_master WHERE name LIKE ?", [f"{NAMES}%"]
        )
        assert tables == []  # table and triggers gone, rows kept
        await store.resources.apply([row("uid-new", "before-new")], [])
        await MigrationExecutor(store.database.connection(), apps).migrate()
    finally:
        await store.close()
    store = await Store.open(url)
    try:
        assert store.database.names_indexed
        _, found = await store.database.connection().execute_query(
            f"SELECT COUNT(*) AS n FROM {NAMES} WHERE name LIKE ?", ["%efore-%"]
        )
        assert found[0]["n"] == 31
        assert await names_of(store, "fore-2") == ["before-2"] + [f"before-2{i}" for i in range(10)]
    finally:
        await store.close()
