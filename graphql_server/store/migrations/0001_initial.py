from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Cluster",
            fields=[
                (
                    "id",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64),
                ),
                ("name", fields.CharField(max_length=253)),
                ("server", fields.CharField(default="", max_length=2048)),
                ("version", fields.CharField(default="", max_length=64)),
                ("phase", fields.CharField(default="PENDING", max_length=16)),
                ("last_error", fields.TextField(null=True, unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "clusters",
                "app": "inventory",
                "pk_attr": "id",
                "table_description": "A Kubernetes cluster, identified by the uid of its ``kube-system`` namespace.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Resource",
            fields=[
                (
                    "pk_id",
                    fields.BigIntField(
                        source_field="id",
                        generated=True,
                        primary_key=True,
                        unique=True,
                        db_index=True,
                    ),
                ),
                ("cluster_id", fields.CharField(max_length=64)),
                ("uid", fields.CharField(max_length=64)),
                ("resource_type", fields.CharField(max_length=253)),
                ("api_version", fields.CharField(max_length=253)),
                ("group", fields.CharField(max_length=253)),
                ("kind", fields.CharField(max_length=253)),
                ("namespace", fields.CharField(default="", max_length=253)),
                ("name", fields.CharField(max_length=253)),
                ("resource_version", fields.CharField(max_length=64)),
                ("labels", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("annotations", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "owner_references",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
                ),
                ("spec", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ("status", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ("extra", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ("created_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "resources",
                "app": "inventory",
                "unique_together": (("cluster_id", "uid"),),
                "indexes": [
                    Index(fields=["cluster_id", "resource_type"]),
                    Index(fields=["kind", "namespace", "name"]),
                    Index(fields=["namespace", "name"]),
                    Index(fields=["name"]),
                ],
                "pk_attr": "pk_id",
                "table_description": "One Kubernetes object, keyed by (cluster id, uid).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SyncState",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("cluster_id", fields.CharField(max_length=64)),
                ("resource_type", fields.CharField(max_length=253)),
                ("api_version", fields.CharField(max_length=253)),
                ("kind", fields.CharField(max_length=253)),
                ("resource_version", fields.CharField(default="", max_length=64)),
                ("phase", fields.CharField(default="PENDING", max_length=16)),
                ("resource_count", fields.IntField(default=0)),
                (
                    "last_event_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("last_error", fields.TextField(null=True, unique=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "sync_states",
                "app": "inventory",
                "unique_together": (("cluster_id", "resource_type"),),
                "pk_attr": "id",
                "table_description": "Per cluster and resource type: where its watch stands and how it fares.",
            },
            bases=["Model"],
        ),
    ]
