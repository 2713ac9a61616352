"""The model's composed parts on their own: served types and the owner index."""

from __future__ import annotations

import pytest

from graphql_server.simulator import BUILTIN_RESOURCES
from graphql_server.simulator.history import ADDED, DELETED, MODIFIED
from graphql_server.simulator.owners import OwnerIndex
from graphql_server.simulator.served import ServedTypes
from graphql_server.simulator.status import ApiError
from graphql_server.simulator.store import Entry


def _entry(name: str, *owners: str) -> Entry:
    refs = [{"uid": uid, "kind": "ReplicaSet", "name": uid} for uid in owners]
    return Entry({"metadata": {"name": name, "namespace": "ns", "ownerReferences": refs}}, 1)


def test_owner_index_follows_commits() -> None:
    index = OwnerIndex()
    index.track("pods", _entry("b", "rs1"), None, ADDED)
    index.track("pods", _entry("a", "rs1", "rs2"), None, ADDED)
    index.track("pods", _entry("b", "rs2"), _entry("b", "rs1"), MODIFIED)
    assert index.take("rs1") == [("pods", "ns", "a")]
    assert index.take("rs1") == []
    index.track("pods", _entry("a", "rs1", "rs2"), _entry("a", "rs1", "rs2"), DELETED)
    assert index.take("rs2") == [("pods", "ns", "b")]


def test_served_types_resolve_paths_kinds_and_versions() -> None:
    served = ServedTypes()
    for rtype in BUILTIN_RESOURCES:
        served.register(rtype)
    deployments = served.resolve("apps", "v1", "deployments")
    assert deployments.kind == "Deployment"
    assert served.resolve_kind("apps/v1", "Deployment") is deployments
    assert served.versions_of("apps") == ["v1"]
    assert served.api_versions(deployments) == ["apps/v1"]
    assert "" in served.groups
    assert "apps" in served.groups
    with pytest.raises(ApiError):
        served.resolve("apps", "v1beta1", "deployments")
    served.unregister(deployments)
    for rtype in served.served_types("apps", "v1"):
        served.unregister(rtype)
    assert "apps" not in served.groups
    with pytest.raises(ApiError):
        served.resolve_kind("apps/v1", "Deployment")
