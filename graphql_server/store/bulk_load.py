"""Filling an empty inventory: secondary indexes built once at the end, not row by row.

Keeping a dozen indexes current row by row costs several times the inserts
themselves; building each one from the finished table is a single sorted pass
(100,000 objects on SQLite: about 6 s of index upkeep against 1.4 s of building; on
PostgreSQL, whose label and name-search indexes are GIN indexes, the server's own
work halves). So when the first sync starts on an empty ``resources`` table, the
secondary indexes of ``resources`` (and SQLite's ``resource_labels``) are dropped and
their definitions kept in ``deferred_indexes``, in one transaction; once the first
lists are stored they are built again, in one transaction. Reads meanwhile go
without them: slower, still correct. The unique (cluster, uid) key and the index the
sweep reads by (cluster, type) stay. On SQLite the triggers that keep the name-search
index (``store.name_search``) current are set aside the same way, and once they are
back the index is filled from the names in one pass, in the same transaction; searches
meanwhile read every name. A process stopped in between builds them the
next time the database is opened, before anything is served. On PostgreSQL both
steps hold a transaction-scoped advisory lock, so replicas starting together on one
empty database set the indexes aside once, and a replica that finds them set aside
leaves the building to the one that did (or to the next start).

Meanwhile the writer's write-ahead log is checkpointed every :data:`LOAD_CHECKPOINT_PAGES`
pages instead of SQLite's 1,000: each checkpoint copies the pages to the database
file and syncs it, and a first load would otherwise do that every 4 MB.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from graphql_server.store.dialect import Params
from graphql_server.store.name_search import NAMES, REFILL, usable

if TYPE_CHECKING:
    from graphql_server.store.database import Database

log = logging.getLogger(__name__)

TABLES = ("resources", "resource_labels")
KEPT_COLUMNS = (("cluster_id", "resource_type"),)  # what sweeps and relists read by
LOCK = 7_405_310_001  # PostgreSQL advisory lock of setting indexes aside and back
LOAD_CHECKPOINT_PAGES = 25_000  # about 100 MB of log between checkpoints while loading
CHECKPOINT_PAGES = 1_000  # SQLite's default, once loaded


async def defer_indexes(database: Database) -> int:
    """Set the secondary indexes aside if the inventory is empty; how many were."""
    sqlite = database.dialect == "sqlite"
    async with database.transaction() as conn:
        if not sqlite:
            await conn.execute_query(f"SELECT pg_advisory_xact_lock({LOCK})")
        _, rows = await conn.execute_query("SELECT 1 FROM resources LIMIT 1")
        if rows:
            return 0
        indexes = await (_sqlite_indexes(conn) if sqlite else _postgres_indexes(conn))
        if sqlite:
            indexes += await _sqlite_triggers(conn)
        deferred = 0
        for name, definition, columns in indexes:
            if columns in KEPT_COLUMNS:
                continue
            params = Params(database.dialect)
            await conn.execute_query(
                "INSERT INTO deferred_indexes (name, definition) "
                f"VALUES ({params(name)}, {params(definition)})",
                params.values,
            )
            kind = _kind(definition)
            await conn.execute_query(f'DROP {kind} "{name}"')
            deferred += 1
            if kind == "TRIGGER":
                database.names_indexed = False  # its index no longer follows the names
    if deferred and sqlite:
        await database.connection().execute_script(
            f"PRAGMA wal_autocheckpoint = {LOAD_CHECKPOINT_PAGES}"
        )
    if deferred:
        log.info("empty inventory: %d indexes are built once the first sync is stored", deferred)
    return deferred


def _kind(definition: str) -> str:
    """``INDEX`` or ``TRIGGER``: what a kept definition creates."""
    return "TRIGGER" if definition.upper().startswith("CREATE TRIGGER ") else "INDEX"


def _if_not_exists(definition: str) -> str:
    """``CREATE [UNIQUE] INDEX name ...`` as ``CREATE [UNIQUE] INDEX IF NOT EXISTS name ...``
    (and the same for ``CREATE TRIGGER``)."""
    kind = _kind(definition)
    head, _, rest = definition.partition(f" {kind} ")
    if rest.upper().startswith("IF NOT EXISTS "):
        return definition
    return f"{head} {kind} IF NOT EXISTS {rest}"


async def _sqlite_indexes(conn: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, definition, columns) of the secondary indexes of the loaded tables."""
    tables = ", ".join(f"'{table}'" for table in TABLES)
    _, indexes = await conn.execute_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
        f"AND sql IS NOT NULL AND tbl_name IN ({tables}) ORDER BY name"
    )
    found = []
    for index in indexes:
        name = str(index["name"])
        _, info = await conn.execute_query(f'PRAGMA index_info("{name}")')
        found.append((name, str(index["sql"]), tuple(str(c["name"]) for c in info)))
    return found


async def _sqlite_triggers(conn: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, definition, no columns) of the triggers that keep the name index current."""
    _, triggers = await conn.execute_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'resources' "
        "AND substr(name, 1, ?) = ? ORDER BY name",
        [len(NAMES), NAMES],
    )
    return [(str(t["name"]), str(t["sql"]), ()) for t in triggers]


async def _postgres_indexes(conn: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """The same on PostgreSQL: ``resources``' indexes that back no constraint."""
    _, indexes = await conn.execute_query(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS sql,"
        " ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)"
        "  FROM generate_series(1, i.indnatts) AS k ORDER BY k) AS columns"
        " FROM pg_index AS i WHERE i.indrelid = 'resources'::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)"
        " ORDER BY 1"
    )
    return [
        (str(i["name"]).strip('"'), str(i["sql"]), tuple(str(c) for c in i["columns"]))
        for i in indexes
    ]


async def build_deferred_indexes(database: Database) -> int:
    """Build every index set aside; how many were built."""
    started = time.perf_counter()
    async with database.transaction() as conn:
        if database.dialect != "sqlite":
            await conn.execute_query(f"SELECT pg_advisory_xact_lock({LOCK})")
        _, rows = await conn.execute_query("SELECT name, definition FROM deferred_indexes")
        for row in rows:
            await conn.execute_query(_if_not_exists(str(row["definition"])))
        if any(_kind(str(row["definition"])) == "TRIGGER" for row in rows):
            for statement in REFILL:
                await conn.execute_query(statement)
        await conn.execute_query("DELETE FROM deferred_indexes")
    connection = database.connection()
    if database.dialect == "sqlite":
        database.names_indexed = await usable(connection)
        await connection.execute_script(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        await connection.execute_script("PRAGMA wal_checkpoint(PASSIVE)")
    elif rows:
        await connection.execute_script("ANALYZE resources")  # plans by the filled table
    if rows:
        log.info("built %d indexes in %.1f s", len(rows), time.perf_counter() - started)
    return len(rows)
