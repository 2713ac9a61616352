"""One database transaction that never outlives a failure of its own BEGIN or COMMIT.

tortoise's transaction contexts make the connection the task's current one before
``BEGIN`` has succeeded, and release nothing when ``BEGIN`` fails: a pooled
PostgreSQL connection stays checked out and registered as the task's connection
(every later statement of that task, pings included, goes to the dead connection
forever), and SQLite's connection lock stays held (every later transaction waits
forever). :func:`transaction` does the same work in the safe order: take a
connection, ``BEGIN``, and only then make it the task's current connection; on any
failure (``BEGIN``, the block, ``COMMIT``) roll back what can be rolled back and
always give the connection back. Inside another transaction it opens a savepoint,
as tortoise does.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper
from tortoise.connection import ConnectionHandler

log = logging.getLogger(__name__)


@asynccontextmanager
async def transaction(
    current: BaseDBAsyncClient, connections: ConnectionHandler, name: str
) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction on ``current`` (the task's connection named ``name``): commits
    on a clean exit, rolls back on an error, and yields the connection to use."""
    if isinstance(current, TransactionalDBClient):
        async with current._in_transaction() as nested:
            yield nested
        return
    if isinstance(current, AsyncpgDBClient):
        opened = _postgres(current)
    elif isinstance(current, SqliteClient):
        opened = _sqlite(current)
    else:  # pragma: no cover - only the two dialects are configured
        raise TypeError(f"no transactions for {type(current).__name__}")
    async with opened as client:
        token = connections.set(name, client)
        try:
            yield client
        except BaseException:
            await _quietly(client.rollback(), "rollback")
            raise
        else:
            try:
                await client.commit()
            except BaseException:
                await _quietly(client.rollback(), "rollback after a failed commit")
                raise
        finally:
            connections.reset(token)


@asynccontextmanager
async def _postgres(parent: AsyncpgDBClient) -> AsyncIterator[TransactionalDBClient]:
    async with parent._pool_init_lock:
        if not parent._pool:
            await parent.create_connection(with_db=True)
    pool = parent._pool
    assert pool is not None
    raw = await pool.acquire()
    try:
        client = TransactionWrapper(parent)
        client._connection = raw
        await client.begin()
        yield client
    finally:
        await _quietly(pool.release(raw), "releasing a connection")


@asynccontextmanager
async def _sqlite(parent: SqliteClient) -> AsyncIterator[TransactionalDBClient]:
    await parent._lock.acquire()
    try:
        if not parent._connection:
            await parent.create_connection(with_db=True)
        client = SqliteTransactionWrapper(parent)
        await client.begin()
        yield client
    finally:
        parent._lock.release()


async def _quietly(step: Any, what: str) -> None:
    """Await a clean-up step whose failure must not hide the error being handled."""
    try:
        await step
    except Exception as exc:
        log.debug("%s failed: %s", what, exc)
