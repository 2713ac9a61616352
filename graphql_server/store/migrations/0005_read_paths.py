"""Read paths: indexes for the filters and orders the API offers and for the narrow
reads of service fingerprinting, and the resource counters (``resource_counts``),
filled from the rows already stored."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

CREATED = "COALESCE(created_at, {sentinel})"
UPDATED = "COALESCE(updated_at, {sentinel})"
SENTINELS = {
    "sqlite": "'1970-01-01T00:00:00+00:00'",
    "postgres": "TIMESTAMPTZ '1970-01-01T00:00:00+00:00'",
}

# name -> indexed columns or expressions ({sentinel} is the dialect's "no time" value).
INDEXES = {
    "idx_resources_scope": "cluster_id, kind, namespace, name",
    "idx_resources_kind_name": "kind, name, id",
    "idx_resources_cluster_name": "cluster_id, name, id",
    "idx_resources_cluster_namespace": "cluster_id, namespace, name, id",
    "idx_resources_created": f"({CREATED}), id",
    "idx_resources_updated": f"({UPDATED}), id",
    "idx_resources_kind_created": f"kind, ({CREATED}), id",
    "idx_resources_kind_updated": f"kind, ({UPDATED}), id",
}


COUNTED = "cluster_id, namespace, api_version, kind, resource_type"
COUNTS = (
    "CREATE TABLE IF NOT EXISTS resource_counts ("
    " cluster_id VARCHAR(64) NOT NULL,"
    " namespace VARCHAR(253) NOT NULL,"
    " api_version VARCHAR(253) NOT NULL,"
    " kind VARCHAR(253) NOT NULL,"
    " resource_type VARCHAR(253) NOT NULL,"
    " n BIGINT NOT NULL,"
    f" PRIMARY KEY ({COUNTED}))",
    f"INSERT INTO resource_counts ({COUNTED}, n)"
    f" SELECT {COUNTED}, COUNT(*) FROM resources GROUP BY {COUNTED}",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    for statement in COUNTS:
        await schema_editor.client.execute_script(statement)
    sentinel = SENTINELS[schema_editor.DIALECT]
    for name, columns in INDEXES.items():
        await schema_editor.client.execute_script(
            f"CREATE INDEX IF NOT EXISTS {name} ON resources "
            f"({columns.format(sentinel=sentinel)})"
        )


async def backward(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script("DROP TABLE IF EXISTS resource_counts")
    for name in INDEXES:
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_scale_out")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
