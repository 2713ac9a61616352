"""SQLite: the label index as one B-tree. A table with a rowid keeps its primary
key (cluster, uid, key) as a second B-tree beside the rows; stored WITHOUT ROWID,
the rows are the key's tree, and a first load writes each label once, not twice.
The rows are copied over; the (key, value) index is made again, unless a first
load set it aside (``store.bulk_load`` builds it then)."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

PAIR = "idx_resource_labels_pair"


def _table(name: str, rowid: bool) -> str:
    return (
        f"CREATE TABLE {name} ("
        " cluster_id VARCHAR(64) NOT NULL,"
        " uid VARCHAR(64) NOT NULL,"
        " key VARCHAR(317) NOT NULL,"
        " value VARCHAR(63) NOT NULL,"
        f" PRIMARY KEY (cluster_id, uid, key)){'' if rowid else ' WITHOUT ROWID'}"
    )


async def _rebuild(schema_editor: Any, rowid: bool) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    client = schema_editor.client
    await client.execute_script(_table("resource_labels_rebuilt", rowid))
    await client.execute_script(
        "INSERT INTO resource_labels_rebuilt (cluster_id, uid, key, value)"
        " SELECT cluster_id, uid, key, value FROM resource_labels"
    )
    await client.execute_script("DROP TABLE resource_labels")
    await client.execute_script("ALTER TABLE resource_labels_rebuilt RENAME TO resource_labels")
    _, deferred = await client.execute_query(
        "SELECT 1 FROM deferred_indexes WHERE name = ?", [PAIR]
    )
    if not deferred:
        await client.execute_script(
            f"CREATE INDEX {PAIR} ON resource_labels (key, value, cluster_id, uid)"
        )


async def forward(apps: Any, schema_editor: Any) -> None:
    await _rebuild(schema_editor, rowid=False)


async def backward(apps: Any, schema_editor: Any) -> None:
    await _rebuild(schema_editor, rowid=True)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0009_name_trigrams")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
