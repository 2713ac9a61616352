"""Read paths: indexes for the filters and orders the API offers and for the narrow
reads of service fingerprinting, the resource counters (``resource_counts``) and,
on SQLite, the label index (``resource_labels``), both filled from the rows stored."""

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


# SQLite only (PostgreSQL has its GIN index on labels): one row per object and label.
LABELS = (
    "CREATE TABLE IF NOT EXISTS resource_labels ("
    " cluster_id VARCHAR(64) NOT NULL,"
    " uid VARCHAR(64) NOT NULL,"
    " key VARCHAR(317) NOT NULL,"
    " value VARCHAR(63) NOT NULL,"
    " PRIMARY KEY (cluster_id, uid, key))",
    "CREATE INDEX IF NOT EXISTS idx_resource_labels_pair ON resource_labels"
    " (key, value, cluster_id, uid)",
    "INSERT INTO resource_labels (cluster_id, uid, key, value)"
    " SELECT r.cluster_id, r.uid, l.key, l.value FROM resources AS r, json_each(r.labels) AS l",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    for statement in COUNTS:
        await schema_editor.client.execute_script(statement)
    if schema_editor.DIALECT == "sqlite":
        for statement in LABELS:
            await schema_editor.client.execute_script(statement)
    sentinel = SENTINELS[schema_editor.DIALECT]
    for name, columns in INDEXES.items():
        await schema_editor.client.execute_script(
            f"CREATE INDEX IF NOT EXISTS {name} ON resources "
            f"({columns.format(sentinel=sentinel)})"
        )


async def backward(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script("DROP TABLE IF EXISTS resource_counts")
    await schema_editor.client.execute_script("DROP TABLE IF EXISTS resource_labels")
    for name in INDEXES:
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_scale_out")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
