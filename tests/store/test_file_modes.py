"""The embedded database is private to the user running the server, like the key file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from graphql_server.store import Store


async def test_a_new_sqlite_database_and_its_directory_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual default, which would leave 0644/0755
    try:
        path = tmp_path / "data" / "inventory.sqlite3"
        store = await Store.open(f"sqlite://{path}")
        await store.close()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for companion in path.parent.iterdir():
        assert stat.S_IMODE(companion.stat().st_mode) & 0o077 == 0, companion
