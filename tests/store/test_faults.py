"""Which database errors are retried as they are (transient) and which refuse the data."""

from __future__ import annotations

import sqlite3

import asyncpg  # type: ignore[import-untyped]
import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from graphql_server.store.faults import is_transient


def sqlite_error(kind: type[sqlite3.Error], code: int) -> sqlite3.Error:
    error = kind("refused")
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        # asyncpg's protocol left mid-operation by a connection that went away: the
        # same write succeeds on a sound connection.
        (
            asyncpg.InternalClientError(
                "cannot switch to state 11; another operation (2) is in progress"
            ),
            True,
        ),
        (OperationalError(asyncpg.InternalClientError("not connected")), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed"), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (OperationalError(sqlite_error(sqlite3.OperationalError, 5)), True),  # SQLITE_BUSY
        (OperationalError(sqlite_error(sqlite3.OperationalError, 13)), True),  # SQLITE_FULL
        # The data itself refused: retrying the same values can never succeed.
        (IntegrityError(asyncpg.UniqueViolationError("duplicate key")), False),
        (asyncpg.StringDataRightTruncationError("value too long"), False),
        (OperationalError(sqlite_error(sqlite3.OperationalError, 18)), False),  # SQLITE_TOOBIG
        (ValueError("cannot encode"), False),
    ],
)
def test_errors_are_told_apart(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
