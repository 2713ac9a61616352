"""Migration 0006 makes credential names unique per kind: duplicates stored before it
are renamed (the oldest keeps its name), then the database refuses new ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from graphql_server.store.connection_models import Credential
from graphql_server.store.database import Database, tortoise_config


async def test_duplicates_are_renamed_then_refused(database_url: str) -> None:
    database = Database(database_url)
    await database.open(migrate=False)
    try:
        apps = tortoise_config(database.url)["apps"]
        executor = MigrationExecutor(database.connection(), apps)
        await executor.migrate([MigrationTarget(app_label="inventory", name="0004_scale_out")])
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows = [
            ("a1", "grafana", "shared"),
            ("a2", "grafana", "shared"),
            ("a3", "grafana", "shared (2)"),
            ("a4", "grafana", "shared"),
            ("b1", "prometheus", "shared"),
        ]
        for number, (row_id, kind, name) in enumerate(rows):
            await Credential.create(
                id=row_id, name=name, kind=kind, type="basic", sealed="x",
                created_at=start + timedelta(minutes=number),
            )  # fmt: skip
        await MigrationExecutor(database.connection(), apps).migrate()
        names = dict(await Credential.all().values_list("id", "name"))
        assert names == {
            "a1": "shared",
            "a2": "shared (3)",
            "a3": "shared (2)",
            "a4": "shared (4)",
            "b1": "shared",
        }
        with pytest.raises(IntegrityError):
            await Credential.create(
                id="a5", name="shared", kind="grafana", type="basic", sealed="x"
            )
        assert await database.pending_migrations() == []
    finally:
        await database.close()
