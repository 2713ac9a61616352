"""Tortoise models: the tables of the inventory.

Only table definitions live here. Reading and writing go through the modules
named for what they hold (``resources``, ``clusters`` ...), which are the only
callers of these classes; nothing outside ``store/`` imports them.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Cluster(Model):
    """A Kubernetes cluster, identified by the uid of its ``kube-system`` namespace."""

    id = fields.CharField(primary_key=True, max_length=64)
    name = fields.CharField(max_length=253)
    server = fields.CharField(max_length=2048, default="")
    version = fields.CharField(max_length=64, default="")
    phase = fields.CharField(max_length=16, default="PENDING")
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "clusters"


class SyncState(Model):
    """Per cluster and resource type: where its watch stands and how it fares.

    ``resource_version`` is written in the same transaction as the objects it
    covers, so a restart resumes from exactly what the store holds.
    """

    id = fields.IntField(primary_key=True)
    cluster_id = fields.CharField(max_length=64)
    resource_type = fields.CharField(max_length=253)
    api_version = fields.CharField(max_length=253)
    kind = fields.CharField(max_length=253)
    resource_version = fields.CharField(max_length=64, default="")
    phase = fields.CharField(max_length=16, default="PENDING")
    resource_count = fields.IntField(default=0)
    last_event_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sync_states"
        unique_together = (("cluster_id", "resource_type"),)


class Resource(Model):
    """One Kubernetes object, keyed by (cluster id, uid).

    ``labels`` is a JSON object: PostgreSQL stores it as ``jsonb`` with a GIN
    index; SQLite filters it with its JSON functions.
    """

    pk_id = fields.BigIntField(primary_key=True, source_field="id")
    cluster_id = fields.CharField(max_length=64)
    uid = fields.CharField(max_length=64)
    resource_type = fields.CharField(max_length=253)
    api_version = fields.CharField(max_length=253)
    group = fields.CharField(max_length=253)
    kind = fields.CharField(max_length=253)
    namespace = fields.CharField(max_length=253, default="")
    name = fields.CharField(max_length=253)
    resource_version = fields.CharField(max_length=64)
    labels: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)
    annotations: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)
    owner_references: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    spec: fields.JSONField[Any] = fields.JSONField(null=True)
    status: fields.JSONField[Any] = fields.JSONField(null=True)
    extra: fields.JSONField[Any] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "resources"
        unique_together = (("cluster_id", "uid"),)
        indexes = (
            Index(fields=("cluster_id", "resource_type")),
            Index(fields=("kind", "namespace", "name")),
            Index(fields=("namespace", "name")),
            Index(fields=("name",)),
        )


class ImportedModel(Model):
    """A model definition imported by a user, kept as the document it came from.

    Built-in and generated models are not stored: they come with the code or
    from what the clusters serve.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=253)
    version = fields.CharField(max_length=64)
    document: fields.JSONField[Any] = fields.JSONField()
    origin = fields.CharField(max_length=253, default="")
    imported_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "imported_models"
        unique_together = (("name", "version"),)
