"""Tortoise models of connections, credentials, environments, the event log and the
server instances that own connections.

Only table definitions live here; ``connections``, ``credentials``, ``environments``,
``event_log`` and ``identity`` read and write them, and nothing outside ``store/``
imports these classes. Statuses are stored as the lifecycle's lowercase values.
Credential secrets are stored only as the ciphertext tokens of ``crypto.SecretBox``.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class ServerInstance(Model):
    """A server process identity (its server id), which owns its own connections."""

    id = fields.CharField(primary_key=True, max_length=64)
    hostname = fields.CharField(max_length=253, default="")
    version = fields.CharField(max_length=64, default="")
    started_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "server_instances"


class Connection(Model):
    """Something this server instance can connect to: a cluster, a Prometheus, a Grafana.

    ``identity`` names what was discovered (a kubeconfig context, a Service in a cluster)
    so that discovering it again finds the same row; it is cleared when the connection
    is deleted. ``cluster_id`` is the cluster a Kubernetes connection reaches (known once
    connected) or the cluster a discovered service runs in.
    """

    id = fields.CharField(primary_key=True, max_length=36)
    server_id = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=32)
    name = fields.CharField(max_length=253)
    type = fields.CharField(max_length=64, default="")
    sub_type = fields.CharField(max_length=64, default="")
    url = fields.CharField(max_length=2048, default="")
    status = fields.CharField(max_length=16)
    identity = fields.CharField(max_length=512, null=True)
    cluster_id = fields.CharField(max_length=64, null=True)
    credential_id = fields.CharField(max_length=36, null=True)
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "connections"
        unique_together = (("server_id", "identity"),)
        indexes = (
            Index(fields=("server_id", "status")),
            Index(fields=("cluster_id",)),
            Index(fields=("credential_id",)),
        )


class Credential(Model):
    """A named secret for one kind of connection, sealed (ciphertext only).

    ``public`` holds the values of the fields its definition does not mark secret
    (a server URL, a context, a username); ``fields`` names every field that is set.
    """

    id = fields.CharField(primary_key=True, max_length=36)
    name = fields.CharField(max_length=253)
    kind = fields.CharField(max_length=32)
    type = fields.CharField(max_length=32)
    sealed = fields.TextField()
    public: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    fields_set: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "credentials"
        unique_together = (("kind", "name"),)  # the index is migration 0006's


class Environment(Model):
    """A named group of connections, such as staging or production."""

    id = fields.CharField(primary_key=True, max_length=36)
    name = fields.CharField(max_length=253, unique=True)
    description = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "environments"


class ConnectionEnvironment(Model):
    """Membership of a connection in an environment."""

    id = fields.IntField(primary_key=True)
    connection_id = fields.CharField(max_length=36)
    environment_id = fields.CharField(max_length=36)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "connection_environments"
        unique_together = (("connection_id", "environment_id"),)
        indexes = (Index(fields=("environment_id",)),)


class EventLogEntry(Model):
    """One entry of the notification centre: what happened, to what, by whom.

    Repeats of an entry are grouped into it: ``occurrences`` counts them, ``first_at``
    (``at``) and ``last_at`` bound them. The columns from ``read`` on, and the indexes
    serving unread counts, grouping and retention, are migration 0007's.
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    severity = fields.CharField(max_length=16)
    actor = fields.CharField(max_length=128)
    category = fields.CharField(max_length=64)
    subject_type = fields.CharField(max_length=32)
    subject_id = fields.CharField(max_length=64)
    subject_name = fields.CharField(max_length=253, default="")
    message = fields.TextField()
    server_id = fields.CharField(max_length=64, default="")
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    read = fields.BooleanField(default=False)
    occurrences = fields.IntField(default=1)
    first_at = fields.DatetimeField(null=True)
    last_at = fields.DatetimeField(null=True)
    probable_cause = fields.TextField(default="")
    suggested_fix = fields.TextField(default="")

    class Meta:
        table = "event_log"
        indexes = (
            Index(fields=("at",)),
            Index(fields=("subject_type", "subject_id")),
            Index(fields=("category",)),
        )
