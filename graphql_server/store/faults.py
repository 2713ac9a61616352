"""What a database error means for the one who wrote: try again later, or never.

A *transient* fault says nothing about the data: the connection dropped or was
closed, PostgreSQL is restarting or refusing connections, SQLite is busy or locked,
the disk is full. The same write will succeed once the database is back, so it must
be retried as it is. A *content* fault is the database refusing these values (a
constraint, a value it cannot store): retrying the same write can never succeed, so
the row has to be isolated. An error that comes from no database or operating system
at all (a value that cannot be encoded) is a content fault too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import asyncpg  # type: ignore[import-untyped]
from tortoise.exceptions import DBConnectionError, TransactionManagementError

from graphql_server.errors import StoreUnavailable

# SQLSTATE classes of PostgreSQL that refuse the data itself: data exceptions,
# integrity constraint violations, program limits (a row or value too large).
CONTENT_SQLSTATE_CLASSES = frozenset({"22", "23", "54"})
# SQLite primary result codes that refuse the data itself.
CONTENT_SQLITE_CODES = frozenset(
    {
        18,  # SQLITE_TOOBIG
        19,  # SQLITE_CONSTRAINT
        20,  # SQLITE_MISMATCH
        25,  # SQLITE_RANGE
    }
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (tortoise passes the driver's error as its argument),
    and what caused it, each once."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


def _verdict(exc: BaseException) -> bool | None:
    """True: transient; False: content; None: this error does not tell."""
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        return state[:2] not in CONTENT_SQLSTATE_CLASSES
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError):
        return False
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is None or (code & 0xFF) not in CONTENT_SQLITE_CODES
    if isinstance(
        exc,
        OSError
        | asyncpg.InterfaceError
        # The driver's own state machine out of step (a connection left mid-operation
        # when the server went away): about the connection, never the data.
        | asyncpg.InternalClientError
        | StoreUnavailable
        | DBConnectionError
        | TransactionManagementError,
    ):
        return True
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the very same write later can succeed (see the module doc)."""
    for linked in _chain(exc):
        verdict = _verdict(linked)
        if verdict is not None:
            return verdict
    return False


def describe(exc: BaseException) -> str:
    """One short line for logs and statuses (never a traceback)."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]
