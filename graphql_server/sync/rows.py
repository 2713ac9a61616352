"""From a raw Kubernetes object to the row the store keeps.

``managedFields`` are dropped; Secrets keep the names of their keys, never the
values, unless the process is configured to store them. Everything besides
metadata, spec and status (a ConfigMap's data, a Service account's secrets ...)
is kept in ``extra``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql_server.kube.discovery import ResourceType
from graphql_server.store.resources import ResourceRow

_TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_SECRET_VALUES = ("data", "stringData")
# kubectl apply copies the whole object, values included, into this annotation.
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _extra(obj: dict[str, Any], kind: str, store_secret_values: bool) -> dict[str, Any] | None:
    extra = {k: v for k, v in obj.items() if k not in _TOP_LEVEL}
    if kind == "Secret" and not store_secret_values:
        keys: set[str] = set()
        for field in _SECRET_VALUES:
            value = extra.pop(field, None)
            if isinstance(value, dict):
                keys.update(str(k) for k in value)
        extra["dataKeys"] = sorted(keys)
    return extra or None


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def to_row(
    cluster_id: str,
    resource_type: ResourceType,
    obj: dict[str, Any],
    *,
    store_secret_values: bool = False,
    now: datetime | None = None,
) -> ResourceRow | None:
    """The row for ``obj``, or None when it lacks a uid or a name."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return None
    uid = metadata.get("uid")
    name = metadata.get("name")
    if not uid or not name:
        return None
    owners = metadata.get("ownerReferences")
    kind = str(obj.get("kind") or resource_type.kind)
    annotations = _strings(metadata.get("annotations"))
    if kind == "Secret" and not store_secret_values:
        annotations.pop(_LAST_APPLIED, None)
    return ResourceRow(
        cluster_id=cluster_id,
        uid=str(uid),
        resource_type=resource_type.name,
        api_version=str(obj.get("apiVersion") or resource_type.api_version),
        group=resource_type.group,
        kind=kind,
        namespace=str(metadata.get("namespace") or ""),
        name=str(name),
        resource_version=str(metadata.get("resourceVersion") or ""),
        labels=_strings(metadata.get("labels")),
        annotations=annotations,
        owner_references=owners if isinstance(owners, list) else [],
        spec=obj.get("spec"),
        status=obj.get("status"),
        extra=_extra(obj, kind, store_secret_values),
        created_at=parse_time(metadata.get("creationTimestamp")),
        updated_at=now or datetime.now(UTC),
    )
