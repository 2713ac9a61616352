"""Credential names are unique per kind: earlier duplicates are renamed ``name (2)``,
``name (3)``... (oldest keeps its name), then a unique index holds the rule."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEX = "uid_credentials_kind_name"


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    rows = await client.execute_query_dict(
        "SELECT id, kind, name FROM credentials ORDER BY created_at, id"
    )
    taken = {(row["kind"], row["name"]) for row in rows}
    seen: set[tuple[str, str]] = set()
    placeholder = "$1" if schema_editor.DIALECT == "postgres" else "?"
    second = "$2" if schema_editor.DIALECT == "postgres" else "?"
    for row in rows:
        key = (row["kind"], row["name"])
        if key not in seen:
            seen.add(key)
            continue
        number = 2
        while (row["kind"], f"{row['name'][:240]} ({number})") in taken:
            number += 1
        renamed = f"{row['name'][:240]} ({number})"
        taken.add((row["kind"], renamed))
        await client.execute_query(
            f"UPDATE credentials SET name = {placeholder} WHERE id = {second}", [renamed, row["id"]]
        )
    await client.execute_script(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX} ON credentials (kind, name)"
    )


async def backward(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_read_paths")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
