"""The notification centre: read state, grouped repeats (occurrences, first and last
time), probable cause and suggested fix of event log entries, and the indexes of
unread counts, grouping (latest entry of a subject) and retention (by last time).
Entries of successes logged before as ``info`` (passed connectivity tests and
registrations, syncs started or recovered) become ``success``."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

COLUMNS = {
    "sqlite": (
        '"read" INT NOT NULL DEFAULT 0',
        "occurrences INT NOT NULL DEFAULT 1",
        "first_at TIMESTAMP",
        "last_at TIMESTAMP",
        "probable_cause TEXT NOT NULL DEFAULT ''",
        "suggested_fix TEXT NOT NULL DEFAULT ''",
    ),
    "postgres": (
        '"read" BOOLEAN NOT NULL DEFAULT FALSE',
        "occurrences INT NOT NULL DEFAULT 1",
        "first_at TIMESTAMPTZ",
        "last_at TIMESTAMPTZ",
        "probable_cause TEXT NOT NULL DEFAULT ''",
        "suggested_fix TEXT NOT NULL DEFAULT ''",
    ),
}
NAMES = ('"read"', "occurrences", "first_at", "last_at", "probable_cause", "suggested_fix")

SUCCESSES = (
    "UPDATE event_log SET severity = 'success' WHERE severity = 'info' AND ("
    "category IN ('connectivity_test', 'registration', 'sync_error')"
    " OR (category = 'sync' AND message LIKE 'syncing cluster %'))"
)

INDEXES = {
    "idx_event_log_unread": '"read", id',
    "idx_event_log_subject_latest": "subject_type, subject_id, id",
    "idx_event_log_last_at": "last_at",
}


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    for column in COLUMNS[schema_editor.DIALECT]:
        await client.execute_script(f"ALTER TABLE event_log ADD COLUMN {column}")
    await client.execute_script("UPDATE event_log SET first_at = at, last_at = at")
    await client.execute_script(SUCCESSES)
    for name, columns in INDEXES.items():
        await client.execute_script(f"CREATE INDEX IF NOT EXISTS {name} ON event_log ({columns})")


async def backward(apps: Any, schema_editor: Any) -> None:
    for name in INDEXES:
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")
    for column in NAMES:
        await schema_editor.client.execute_script(f"ALTER TABLE event_log DROP COLUMN {column}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_credential_names")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
