"""``Query.access`` tells a client what its token grants, so a console can hide the
mutations a read-only token would be refused."""

from __future__ import annotations

from pathlib import Path

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.conftest import free_port, serving
from tests.helpers import post

FULL, READ = "full-token-access-query", "read-token-access-query"
ACCESS = "query { access }"


async def test_access_names_what_the_token_grants(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}",
        data_dir=tmp_path,
        port=free_port(),
        auth_token=FULL,
        read_token=READ,
    )
    async with serving(settings, broker=InProcessBroker()) as server:
        full = await post(server.graphql, ACCESS, headers={"Authorization": f"Bearer {FULL}"})
        read = await post(server.graphql, ACCESS, headers={"Authorization": f"Bearer {READ}"})
        wrong = await post(server.graphql, ACCESS, headers={"Authorization": "Bearer nope"})
    assert full == (200, {"data": {"access": "FULL"}})
    assert read == (200, {"data": {"access": "READ"}})
    assert wrong[0] == 401


async def test_without_tokens_everyone_has_full_access(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite://{tmp_path / 'db.sqlite3'}", port=free_port())
    async with serving(settings, broker=InProcessBroker()) as server:
        assert await post(server.graphql, ACCESS) == (200, {"data": {"access": "FULL"}})
