"""From raw objects to stored rows: secrets, managedFields, extra fields."""

from __future__ import annotations

from graphql_server.kube.discovery import ResourceType
from graphql_server.sync.rows import to_row

SECRETS = ResourceType(group="", version="v1", kind="Secret", plural="secrets", namespaced=True)
CONFIGMAPS = ResourceType(
    group="", version="v1", kind="ConfigMap", plural="configmaps", namespaced=True
)


def secret() -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "namespace": "shop",
            "uid": "u-1",
            "resourceVersion": "7",
            "creationTimestamp": "2026-01-02T03:04:05Z",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": (
                    '{"data":{"password":"aHVudGVyMg=="}}'
                ),
                "team": "payments",
            },
        },
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="},
        "stringData": {"token": "plain"},
    }


def test_secret_values_become_keys() -> None:
    row = to_row("c", SECRETS, secret())
    assert row is not None
    assert row.extra == {"type": "Opaque", "dataKeys": ["password", "token", "user"]}
    assert row.annotations == {"team": "payments"}
    stored = repr(row.as_stored())
    assert "aHVudGVyMg" not in stored
    assert "plain" not in stored
    assert "managedFields" not in stored
    assert row.created_at is not None
    assert row.created_at.year == 2026


def test_secret_values_kept_when_configured() -> None:
    row = to_row("c", SECRETS, secret(), store_secret_values=True)
    assert row is not None
    assert row.extra is not None
    assert row.extra["data"]["password"] == "aHVudGVyMg=="


def test_configmap_data_goes_to_extra_and_identity_is_required() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "a", "uid": "u", "resourceVersion": "1"},
        "data": {"k": "v"},
    }
    row = to_row("c", CONFIGMAPS, obj)
    assert row is not None
    assert (row.extra, row.resource_type, row.api_version) == (
        {"data": {"k": "v"}},
        "configmaps",
        "v1",
    )
    assert to_row("c", CONFIGMAPS, {"metadata": {"name": "x"}}) is None
    assert to_row("c", CONFIGMAPS, {"metadata": "nope"}) is None
