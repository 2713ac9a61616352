"""One process at a time applies migrations to a shared PostgreSQL database.

Replicas starting together would otherwise race to create the same tables. The
lock is a PostgreSQL advisory lock held by a connection of its own for the time
the migrations take; SQLite needs none (one process owns its file).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg  # type: ignore[import-untyped]

# An arbitrary constant naming this application's migration lock.
MIGRATION_LOCK = 0x6773_6D69_6772


@asynccontextmanager
async def migration_lock(url: str, dialect: str) -> AsyncIterator[None]:
    if dialect != "postgres":
        yield
        return
    # The caller reports a connection error (an OSError) as the store being unavailable.
    try:
        connection = await asyncpg.connect(urlsplit(url)._replace(query="").geturl(), timeout=30)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise ConnectionError(f"cannot take the migration lock: {exc}") from exc
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        await connection.close()
        raise ConnectionError(f"cannot take the migration lock: {exc}") from exc
    try:
        yield
    finally:
        await connection.close()  # ends the session, and with it the lock
