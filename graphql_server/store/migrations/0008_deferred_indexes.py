"""Index definitions set aside while an empty inventory is first filled
(``store.bulk_load``): built again from here, also after a stop in between."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops


async def forward(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script(
        "CREATE TABLE IF NOT EXISTS deferred_indexes "
        "(name VARCHAR(253) PRIMARY KEY, definition TEXT NOT NULL)"
    )


async def backward(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script("DROP TABLE IF EXISTS deferred_indexes")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_notifications")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
