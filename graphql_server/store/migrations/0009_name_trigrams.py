"""PostgreSQL: a trigram index on resource names, so a name search (``ILIKE
'%text%'``) reads the names that contain the text, not every name. Needs the
``pg_trgm`` extension (shipped with PostgreSQL's contrib, trusted since 13); where it
cannot be created, searches keep reading the name index, and a warning says so."""

import logging
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

log = logging.getLogger(__name__)

INDEX = "idx_resources_name_trigrams"


async def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    client = schema_editor.client
    try:
        await client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:
        log.warning("name searches read every name: cannot create pg_trgm (%s)", exc)
        return
    await client.execute_script(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON resources USING gin (name gin_trgm_ops)"
    )


async def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0008_deferred_indexes")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
