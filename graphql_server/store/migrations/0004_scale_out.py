"""Scale-out: a GIN index on resource labels (PostgreSQL only), tombstones of deleted
objects, and the positions of the operations stream's consumer."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

LABELS_INDEX = "idx_resources_labels_gin"

TABLES = (
    "CREATE TABLE IF NOT EXISTS resource_tombstones ("
    " cluster_id VARCHAR(64) NOT NULL,"
    " uid VARCHAR(64) NOT NULL,"
    " resource_version VARCHAR(64) NOT NULL,"
    " deleted_at BIGINT NOT NULL,"
    " PRIMARY KEY (cluster_id, uid))",
    "CREATE INDEX IF NOT EXISTS idx_resource_tombstones_deleted_at"
    " ON resource_tombstones (deleted_at)",
    "CREATE TABLE IF NOT EXISTS stream_cursors ("
    " name VARCHAR(128) NOT NULL PRIMARY KEY,"
    " seq BIGINT NOT NULL,"
    " stream_created VARCHAR(64) NOT NULL DEFAULT '',"
    " pending BIGINT NOT NULL DEFAULT 0,"
    " updated_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS stream_producers ("
    " cluster_id VARCHAR(64) NOT NULL PRIMARY KEY,"
    " epoch BIGINT NOT NULL,"
    " batch BIGINT NOT NULL,"
    " producer VARCHAR(256) NOT NULL,"
    " updated_at BIGINT NOT NULL)",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    for statement in TABLES:
        await schema_editor.client.execute_script(statement)
    if schema_editor.DIALECT == "postgres":
        # Label selectors use containment (labels @> '{"k": "v"}'), which this serves.
        await schema_editor.client.execute_script(
            f"CREATE INDEX IF NOT EXISTS {LABELS_INDEX} ON resources USING GIN (labels)"
        )


async def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {LABELS_INDEX}")
    for table in ("stream_producers", "stream_cursors", "resource_tombstones"):
        await schema_editor.client.execute_script(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_connections")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
