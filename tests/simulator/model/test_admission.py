"""Custom resources take their CRD schema's defaults, as the CRD documentation states.

"Defaulting happens on the object in the request to the API server": a property the
object lacks (or sets to null without ``nullable``) gets a copy of its ``default``;
defaults apply inside defaulted objects and list items too, on creation and on every
update, before the schema is validated; a default never overrides a value given.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphql_server.simulator import ApiError, SimulatedCluster
from graphql_server.simulator.patching import APPLY_PATCH, MERGE_PATCH

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "keep": {"type": "integer", "minimum": 1, "default": 7},
                "mode": {"type": "string", "default": "full"},
                "window": {
                    "type": "object",
                    "default": {},
                    "properties": {"hours": {"type": "integer", "default": 2}},
                },
                "targets": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "port": {"type": "integer", "default": 5432},
                        },
                    },
                },
                "note": {"type": "string", "nullable": True, "default": "none"},
            },
        }
    },
}

CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "backups.ops.example.org"},
    "spec": {
        "group": "ops.example.org",
        "scope": "Namespaced",
        "names": {"plural": "backups", "singular": "backup", "kind": "Backup"},
        "versions": [
            {"name": "v1", "served": True, "storage": True,
             "schema": {"openAPIV3Schema": SCHEMA}}
        ],
    },
}  # fmt: skip


def backup(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "ops.example.org/v1",
        "kind": "Backup",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


@pytest.fixture
def cluster() -> SimulatedCluster:
    cluster = SimulatedCluster("defaults")
    cluster.create_object(CRD)
    return cluster


def test_created_custom_resources_take_their_schema_defaults(cluster: SimulatedCluster) -> None:
    created = cluster.create_object(
        backup("b1", {"targets": [{"name": "db"}, {"name": "cache", "port": 6379}], "note": None})
    )
    assert created["spec"] == {
        "keep": 7,
        "mode": "full",
        "window": {"hours": 2},
        "targets": [{"name": "db", "port": 5432}, {"name": "cache", "port": 6379}],
        "note": None,
    }
    given = cluster.create_object(backup("b2", {"keep": 3, "mode": None, "window": {"hours": 0}}))
    assert given["spec"] == {"keep": 3, "mode": "full", "window": {"hours": 0}, "note": "none"}


def test_updates_are_defaulted_and_then_validated(cluster: SimulatedCluster) -> None:
    cluster.create_object(backup("b1", {"keep": 3}))
    rtype = cluster.resolve_kind("ops.example.org/v1", "Backup")
    patched = cluster.patch(rtype, "default", "b1", MERGE_PATCH, {"spec": {"keep": None}}).obj
    assert patched["spec"]["keep"] == 7
    applied = cluster.patch(
        rtype, "default", "b2", APPLY_PATCH, backup("b2", {"mode": "quick"}), field_manager="ops"
    ).obj
    assert applied["spec"] == {"keep": 7, "mode": "quick", "window": {"hours": 2}, "note": "none"}
    with pytest.raises(ApiError) as raised:
        cluster.patch(rtype, "default", "b1", MERGE_PATCH, {"spec": {"keep": 0}})
    assert raised.value.status == 422
    assert cluster.get_object("ops.example.org/v1", "Backup", "b1", "default")["spec"]["keep"] == 7
