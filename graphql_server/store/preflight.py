"""Checking that a database can be opened, before anything is written to it.

Commands call :func:`check_database` first, so that a wrong URL, a missing or
unreachable PostgreSQL database, refused credentials, or a SQLite file that cannot
be written become one clear :class:`ConfigurationError` instead of a hang or a
traceback half-way through a start. It creates nothing: a SQLite file that does not
exist yet is only checked for a writable place to be created in.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg  # type: ignore[import-untyped]

from graphql_server.errors import ConfigurationError
from graphql_server.store.database import DatabaseURL

SQLITE_HEADER = b"SQLite format 3\x00"


async def check_database(url: str, *, within: float = 10.0) -> None:
    """Raise :class:`ConfigurationError` saying what is wrong and what to do."""
    parsed = DatabaseURL.parse(url)
    if parsed.dialect == "sqlite":
        path = parsed.sqlite_path
        if path is not None:
            check_sqlite_file(path)
        return
    await _check_postgres(parsed, within)


def check_sqlite_file(path: Path) -> None:
    directory = path.parent
    if directory.exists() and not directory.is_dir():
        raise ConfigurationError(
            f"cannot create the SQLite database {path}: {directory} is a file, not a directory"
        )
    if path.exists():
        if not path.is_file():
            raise ConfigurationError(f"the SQLite database {path} is not a file")
        if not os.access(path, os.R_OK | os.W_OK):
            raise ConfigurationError(
                f"the SQLite database {path} is read-only; make it writable "
                "(the server writes to it) or pass another --database-url"
            )
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise ConfigurationError(
                f"{path} is not a SQLite database; move it away or pass another --database-url"
            )
    if directory.exists() and not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"the directory {directory} of the SQLite database is read-only (SQLite keeps its "
            "journal next to the file); make it writable or pass another --data-dir"
        )


async def _check_postgres(url: DatabaseURL, within: float) -> None:
    parts = urlsplit(url.url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    name = parts.path.lstrip("/") or "(default)"
    try:
        connection = await asyncio.wait_for(
            asyncpg.connect(parts._replace(query="").geturl(), timeout=within), within
        )
    except asyncpg.InvalidCatalogNameError:
        raise ConfigurationError(
            f"PostgreSQL at {where} has no database {name!r}; create it "
            f"(createdb {name}) or fix --database-url"
        ) from None
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        raise ConfigurationError(
            f"PostgreSQL at {where} refused the credentials: {exc}; fix --database-url"
        ) from None
    except TimeoutError:
        raise ConfigurationError(
            f"PostgreSQL at {where} did not answer within {within:g} s; "
            "check that it runs and that --database-url is right"
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigurationError(
            f"cannot reach PostgreSQL at {where}: {reason}; start it or fix --database-url"
        ) from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise ConfigurationError(f"PostgreSQL at {where} refused the connection: {exc}") from None
    await connection.close()
