"""Database lifetime: configuration, connection, migrations, health.

Owns tortoise's global state for the process. SQLite files are opened in WAL
mode with a busy timeout, and reads go through a small pool of separate
read-only connections (:meth:`Database.reader`), so that queries never wait
behind the writer's transaction; PostgreSQL is used through asyncpg, with a
connection pool of the same size. Schema changes are tortoise migrations under
``store/migrations`` and are applied on start and by ``graphql-server migrate``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.context import TortoiseContext
from tortoise.exceptions import BaseORMException
from tortoise.migrations.executor import MigrationExecutor

from graphql_server.errors import ConfigurationError, StoreUnavailable
from graphql_server.store.bulk_load import build_deferred_indexes
from graphql_server.store.locking import migration_lock
from graphql_server.store.name_search import usable
from graphql_server.store.transactions import transaction

log = logging.getLogger(__name__)

APP_LABEL = "inventory"
MODELS_MODULE = ["graphql_server.store.models", "graphql_server.store.connection_models"]
MIGRATIONS_MODULE = "graphql_server.store.migrations"
DEFAULT_POOL_SIZE = 5


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """A parsed database URL; ``dialect`` is ``sqlite`` or ``postgres``."""

    url: str
    dialect: str

    @classmethod
    def parse(cls, url: str) -> DatabaseURL:
        scheme = urlsplit(url).scheme
        if scheme == "sqlite":
            return cls(url, "sqlite")
        if scheme in ("postgres", "postgresql"):
            return cls("postgres" + url[len(scheme) :], "postgres")
        raise ConfigurationError("database URL must start with sqlite:// or postgres://")

    @property
    def sqlite_path(self) -> Path | None:
        if self.dialect != "sqlite":
            return None
        path = self.url[len("sqlite://") :]
        return None if path in ("", ":memory:") else Path(path)

    def redacted(self) -> str:
        parts = urlsplit(self.url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.url


def sqlite_pragmas(path: Path | None) -> dict[str, Any]:
    return {
        "file_path": str(path) if path else ":memory:",
        "journal_mode": "WAL",
        "journal_size_limit": 64 * 1024 * 1024,
        "foreign_keys": "ON",
        "synchronous": "NORMAL",
        "busy_timeout": 30000,
    }


def tortoise_config(url: DatabaseURL, pool_size: int = DEFAULT_POOL_SIZE) -> dict[str, Any]:
    connection: dict[str, Any] | str
    if url.dialect == "sqlite":
        connection = {
            "engine": "tortoise.backends.sqlite",
            # The writer's page cache, in KiB: the indexes it keeps current for
            # 100,000 objects stay in memory (readers keep the default).
            "credentials": {**sqlite_pragmas(url.sqlite_path), "cache_size": -32768},
        }
    elif "maxsize=" in urlsplit(url.url).query:
        connection = url.url  # the URL's own pool size wins
    else:
        joiner = "&" if urlsplit(url.url).query else "?"
        connection = f"{url.url}{joiner}minsize=1&maxsize={pool_size}"
    return {
        # Named by dialect: tortoise caches generated SQL per connection name.
        "connections": {url.dialect: connection},
        "apps": {
            APP_LABEL: {
                "models": MODELS_MODULE,
                "migrations": MIGRATIONS_MODULE,
                "default_connection": url.dialect,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


class Database:
    """The process's database: open it, migrate it, check it, close it."""

    def __init__(self, url: str, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        if pool_size < 1:
            raise ConfigurationError("the database pool size must be at least 1")
        self.url = DatabaseURL.parse(url)
        self.pool_size = pool_size
        self._context: TortoiseContext | None = None
        self._readers: list[BaseDBAsyncClient] = []
        self._next_reader = 0
        # SQLite: whether name searches can narrow through the trigram index (detected at
        # open; off while a first load has the index's triggers set aside).
        self.names_indexed = False

    @property
    def dialect(self) -> str:
        return self.url.dialect

    async def open(self, *, migrate: bool = True) -> None:
        """Connect; with ``migrate``, apply every pending migration first."""
        path = self.url.sqlite_path
        config = tortoise_config(self.url, self.pool_size)
        try:
            if path is not None:
                _create_private(path)
                # Before tortoise: a file it cannot journal leaves its connection lock held.
                await asyncio.to_thread(_probe_sqlite, path)
            self._context = await Tortoise.init(config=config, _enable_global_fallback=True)
            if migrate:
                async with migration_lock(self.url.url, self.url.dialect):
                    await self._executor().migrate()
                await build_deferred_indexes(self)  # a first load stopped midway
            if self.dialect == "sqlite":
                self.names_indexed = await usable(self.connection())
            await self._open_readers()
        except (BaseORMException, OSError) as exc:
            await self.close()
            raise StoreUnavailable(f"cannot open the database: {_describe(exc)}") from exc
        log.info("database ready at %s", self.url.redacted())

    async def _open_readers(self) -> None:
        """SQLite files: read-only connections of their own (WAL lets them read while
        the writer's transaction is open). PostgreSQL's pool already serves reads."""
        path = self.url.sqlite_path
        if path is None:
            return
        pragmas = sqlite_pragmas(path)
        file_path = pragmas.pop("file_path")
        for index in range(self.pool_size):
            reader = SqliteClient(
                file_path, connection_name=f"sqlite-read-{index}", query_only="ON", **pragmas
            )
            await reader.create_connection(with_db=True)
            self._readers.append(reader)

    def reader(self) -> BaseDBAsyncClient:
        """A connection for reads that never waits behind the writer's transaction.

        Reads through it see what is committed, not a transaction in progress.
        """
        if not self._readers:
            return self.connection()
        self._next_reader = (self._next_reader + 1) % len(self._readers)
        return self._readers[self._next_reader]

    async def close(self) -> None:
        readers, self._readers = self._readers, []
        for reader in readers:
            await reader.close()
        if self._context is not None:
            context, self._context = self._context, None
            await context.close_connections()

    def connection(self) -> BaseDBAsyncClient:
        if self._context is None:
            raise StoreUnavailable("the database is not open")
        return self._context.connections.get(self.url.dialect)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BaseDBAsyncClient]:
        """One transaction on this database: commits on exit, rolls back on error.

        The store's only way into a transaction; the connection it yields is the
        one every statement of the transaction must use. A failed BEGIN or COMMIT
        leaves nothing behind (``store.transactions``): the next one starts afresh.
        """
        current = self.connection()  # a clear StoreUnavailable when the database is closed
        assert self._context is not None
        async with transaction(current, self._context.connections, self.url.dialect) as conn:
            yield conn

    async def ping(self) -> None:
        try:
            await self.connection().execute_query("SELECT 1")
        except Exception as exc:
            raise StoreUnavailable(f"database unreachable: {_describe(exc)}") from exc

    async def pending_migrations(self) -> list[str]:
        """Names of migrations not yet applied (empty when the schema is current)."""
        steps = await self._executor().plan()
        return [step.migration.name for step in steps if not step.backward]

    def _executor(self) -> MigrationExecutor:
        apps = tortoise_config(self.url, self.pool_size)["apps"]
        return MigrationExecutor(self.connection(), apps)


def _probe_sqlite(path: Path, timeout: float = 30.0) -> None:
    """Open ``path`` in WAL mode and take the write lock once; raise ``OSError`` if not.

    The WAL journal needs files next to the database: tortoise failing to create them
    (a read-only directory) keeps its connection lock, and the next statement waits on
    it forever. Checked first, the failure is an error instead of a hang.
    """
    try:
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise OSError(f"cannot open the SQLite database {path}: {exc}") from exc
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise OSError(f"cannot write the SQLite database {path}: {exc}") from exc
    finally:
        connection.close()


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


def _create_private(path: Path) -> None:
    """The SQLite file's directory (0700) and the file itself (0600; SQLite gives its
    journal and WAL files the same mode), when they do not exist yet."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
