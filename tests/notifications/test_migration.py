"""Migration 0007 gives entries logged before it a read state (unread), a count of 1
and their own time as first and last time, and makes the successes among them
``success``."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from graphql_server.store.connection_models import EventLogEntry
from graphql_server.store.database import Database, tortoise_config

AT = datetime(2026, 1, 1, tzinfo=UTC)
ENTRIES = (
    ("warning", "sync_error", "down"),
    ("info", "connectivity_test", "passed"),
    ("info", "registration", "registered as CONNECTED"),
    ("info", "status_change", "moved"),
    ("info", "sync", "syncing cluster c1 for one"),
    ("info", "sync", "stopped syncing cluster c1"),
    ("info", "sync_error", "sync of cluster one recovered"),
)


async def test_existing_entries_are_filled_in(database_url: str) -> None:
    database = Database(database_url)
    await database.open(migrate=False)
    try:
        apps = tortoise_config(database.url)["apps"]
        executor = MigrationExecutor(database.connection(), apps)
        await executor.migrate(
            [MigrationTarget(app_label="inventory", name="0006_credential_names")]
        )
        for severity, category, message in ENTRIES:
            await database.connection().execute_script(
                "INSERT INTO event_log (at, severity, actor, category, subject_type, subject_id,"
                " subject_name, message, server_id, details) VALUES ("
                f"'2026-01-01T00:00:00+00:00', '{severity}', 'sync', '{category}', 'cluster',"
                f" 'c1', 'one', '{message}', 's1', '{{}}')"
            )
        await MigrationExecutor(database.connection(), apps).migrate()
        rows = await EventLogEntry.all().order_by("id")
        assert [r.severity for r in rows] == [
            "warning", "success", "success", "info", "success", "info", "success",
        ]  # fmt: skip
        row = rows[0]
        assert (row.read, row.occurrences, row.probable_cause, row.suggested_fix) == (
            False,
            1,
            "",
            "",
        )
        assert row.first_at == AT
        assert row.last_at == AT
        assert await database.pending_migrations() == []
    finally:
        await database.close()
