"""Filling an empty inventory: secondary indexes built once at the end, not row by row.

SQLite keeping a dozen B-tree indexes current row by row costs about four times the
inserts themselves; building each one from the finished table is a single sorted
pass (100,000 objects: about 6 s of index upkeep against 1.4 s of building). So when
the first sync starts on an empty ``resources`` table, the secondary indexes of
``resources`` and ``resource_labels`` are dropped and their definitions kept in
``deferred_indexes``, in one transaction; once the first lists are stored they are
built again, in one transaction. Reads meanwhile go without them: slower, still
correct. The index the sweep reads by (cluster, type) stays. A process stopped in
between builds them the next time the database is opened, before anything is served.

Meanwhile the writer's write-ahead log is checkpointed every :data:`LOAD_CHECKPOINT_PAGES`
pages instead of SQLite's 1,000: each checkpoint copies the pages to the database
file and syncs it, and a first load would otherwise do that every 4 MB.

SQLite only: on PostgreSQL the indexes serve every replica sharing the database.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphql_server.store.database import Database

log = logging.getLogger(__name__)

TABLES = ("resources", "resource_labels")
KEPT_COLUMNS = (("cluster_id", "resource_type"),)  # what sweeps and relists read by
LOAD_CHECKPOINT_PAGES = 25_000  # about 100 MB of log between checkpoints while loading
CHECKPOINT_PAGES = 1_000  # SQLite's default, once loaded


async def defer_indexes(database: Database) -> int:
    """Set the secondary indexes aside if the inventory is empty; how many were."""
    if database.dialect != "sqlite":
        return 0
    async with database.transaction() as conn:
        _, rows = await conn.execute_query("SELECT 1 FROM resources LIMIT 1")
        if rows:
            return 0
        tables = ", ".join(f"'{table}'" for table in TABLES)
        _, indexes = await conn.execute_query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            f"AND sql IS NOT NULL AND tbl_name IN ({tables}) ORDER BY name"
        )
        deferred = 0
        for index in indexes:
            name = str(index["name"])
            _, info = await conn.execute_query(f'PRAGMA index_info("{name}")')
            if tuple(str(column["name"]) for column in info) in KEPT_COLUMNS:
                continue
            await conn.execute_query(
                "INSERT INTO deferred_indexes (name, definition) VALUES (?, ?)",
                [name, str(index["sql"])],
            )
            await conn.execute_query(f'DROP INDEX "{name}"')
            deferred += 1
    if deferred:
        await database.connection().execute_script(
            f"PRAGMA wal_autocheckpoint = {LOAD_CHECKPOINT_PAGES}"
        )
        log.info("empty inventory: %d indexes are built once the first sync is stored", deferred)
    return deferred


async def build_deferred_indexes(database: Database) -> int:
    """Build every index set aside; how many were built."""
    if database.dialect != "sqlite":
        return 0
    started = time.perf_counter()
    async with database.transaction() as conn:
        _, rows = await conn.execute_query("SELECT name, definition FROM deferred_indexes")
        for row in rows:
            definition = str(row["definition"])
            if not definition.upper().startswith("CREATE INDEX IF NOT EXISTS"):
                definition = "CREATE INDEX IF NOT EXISTS" + definition[len("CREATE INDEX") :]
            await conn.execute_query(definition)
        await conn.execute_query("DELETE FROM deferred_indexes")
    connection = database.connection()
    await connection.execute_script(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
    await connection.execute_script("PRAGMA wal_checkpoint(PASSIVE)")
    if rows:
        log.info("built %d indexes in %.1f s", len(rows), time.perf_counter() - started)
    return len(rows)
