"""SQLite: a trigram index of resource names (``store.name_search``), so a name
search reads the names that contain the text, not every name. An FTS5 table with
external content (the names stay in ``resources``), kept current by triggers; a
rename alone touches it, so the writer's upserts, which set every column, cost
nothing when the name stays. Where FTS5 or its trigram tokenizer is missing,
searches keep reading every name, and a warning says so. Nothing on PostgreSQL
(its own trigram index is migration 0009)."""

import logging
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

log = logging.getLogger(__name__)

NAMES = "resource_names"
TRIGGERS = {
    f"{NAMES}_insert": (
        f"CREATE TRIGGER {NAMES}_insert AFTER INSERT ON resources BEGIN "
        f"INSERT INTO {NAMES} (rowid, name) VALUES (new.id, new.name); END"
    ),
    f"{NAMES}_delete": (
        f"CREATE TRIGGER {NAMES}_delete AFTER DELETE ON resources BEGIN "
        f"INSERT INTO {NAMES} ({NAMES}, rowid, name) VALUES ('delete', old.id, old.name); END"
    ),
    f"{NAMES}_rename": (
        f"CREATE TRIGGER {NAMES}_rename AFTER UPDATE OF name ON resources "
        "WHEN old.name IS NOT new.name BEGIN "
        f"INSERT INTO {NAMES} ({NAMES}, rowid, name) VALUES ('delete', old.id, old.name); "
        f"INSERT INTO {NAMES} (rowid, name) VALUES (new.id, new.name); END"
    ),
}


async def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    client = schema_editor.client
    try:
        await client.execute_script(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {NAMES} USING fts5(name, "
            "content='resources', content_rowid='id', tokenize='trigram', detail=none)"
        )
    except Exception as exc:
        log.warning("name searches read every name: cannot create an FTS5 trigram table (%s)", exc)
        return
    for name, definition in TRIGGERS.items():
        await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")
        await client.execute_script(definition)
    # In rowid order (FTS5's own 'rebuild' reads the names in name order, far slower).
    await client.execute_script(f"INSERT INTO {NAMES} ({NAMES}) VALUES ('delete-all')")
    await client.execute_script(
        f"INSERT INTO {NAMES} (rowid, name) SELECT id, name FROM resources ORDER BY id"
    )
    await client.execute_query("DELETE FROM deferred_indexes WHERE name LIKE ?", [f"{NAMES}%"])


async def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    client = schema_editor.client
    for name in TRIGGERS:
        await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")
    await client.execute_query("DELETE FROM deferred_indexes WHERE name LIKE ?", [f"{NAMES}%"])
    await client.execute_script(f"DROP TABLE IF EXISTS {NAMES}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0010_labels_without_rowid")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
