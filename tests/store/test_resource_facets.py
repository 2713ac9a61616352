"""Facets of the resources table on SQLite and PostgreSQL: labels in use, namespaces,
dependents by owner."""

from __future__ import annotations

from graphql_server.store import Store
from graphql_server.store.resources import ResourceQuery
from tests.store.test_resources import CLUSTER, row


async def test_label_counts_lists_keys_and_values_in_use(store: Store) -> None:
    await store.resources.apply(
        [
            row("1", "a", labels={"app": "web", "tier": "front"}),
            row("2", "b", labels={"app": "web"}),
            row("3", "c", labels={"app": "db", "app.kubernetes.io/name": "pg"}),
            row("4", "d", kind="Service", labels={"app": "web"}),
            row("5", "e", cluster="c-2", labels={"team": "x"}),
            row("6", "f"),
        ],
        [],
    )
    assert await store.resources.label_counts(ResourceQuery(cluster_ids=(CLUSTER,))) == [
        ("app", "db", 1),
        ("app", "web", 3),
        ("app.kubernetes.io/name", "pg", 1),
        ("tier", "front", 1),
    ]
    assert await store.resources.label_counts(ResourceQuery(kinds=("Service",))) == [
        ("app", "web", 1)
    ]
    everything = await store.resources.label_counts(ResourceQuery())
    assert ("team", "x", 1) in everything
    assert await store.resources.label_counts(ResourceQuery(kinds=("Nothing",))) == []


async def test_namespaces_in_use_and_defined(store: Store) -> None:
    await store.resources.apply(
        [
            row("1", "a", namespace="shop"),
            row("2", "b", namespace="blog"),
            row("3", "empty", namespace="", kind="Namespace"),
            row("4", "node-1", namespace="", kind="Node"),
            row("5", "x", namespace="elsewhere", cluster="c-2"),
        ],
        [],
    )
    assert await store.resources.namespaces([CLUSTER]) == ["blog", "empty", "shop"]
    assert await store.resources.namespaces(["c-2"]) == ["elsewhere"]
    assert await store.resources.namespaces() == ["blog", "elsewhere", "empty", "shop"]


async def test_children_of_follows_owner_references(store: Store) -> None:
    def owner(uid: str, kind: str = "ReplicaSet") -> list[dict[str, str]]:
        return [{"uid": uid, "kind": kind, "name": uid, "apiVersion": "apps/v1"}]

    await store.resources.apply(
        [
            row("rs-1", "web-rs", kind="ReplicaSet", owners=owner("dep-1", "Deployment")),
            row("p-2", "web-b", owners=owner("rs-1")),
            row("p-1", "web-a", owners=owner("rs-1")),
            row("p-3", "other-ns", namespace="blog", owners=owner("rs-1")),
            row("p-4", "other-cluster", cluster="c-2", owners=owner("rs-1")),
            row("p-5", "orphan"),
            row("pv-1", "claim", namespace="", kind="PersistentVolume", owners=owner("node")),
        ],
        [],
    )
    found = await store.resources.children_of(
        [
            (CLUSTER, "default", "rs-1"),
            (CLUSTER, "default", "dep-1"),
            (CLUSTER, "default", "none"),
            (CLUSTER, "", "node"),
        ]
    )
    assert [r["name"] for r in found[(CLUSTER, "rs-1")]] == ["web-a", "web-b"]
    assert [r["name"] for r in found[(CLUSTER, "dep-1")]] == ["web-rs"]
    assert found[(CLUSTER, "none")] == []
    assert [r["name"] for r in found[(CLUSTER, "node")]] == ["claim"]
    assert found[(CLUSTER, "rs-1")][0]["owner_references"][0]["uid"] == "rs-1"


async def test_pages_by_creation_time_include_resources_without_one(store: Store) -> None:
    rows = [row(f"u{i}", f"n{i}", created=i) for i in range(6)]
    for stored in rows[:3]:
        stored.created_at = None
    await store.resources.apply(rows, [])
    for descending in (False, True):
        seen: list[str] = []
        after = None
        for _ in range(10):
            page = await store.resources.page(
                ResourceQuery(), 2, after, order="CREATED_AT", descending=descending
            )
            seen.extend(r["uid"] for r in page.rows)
            if not page.has_next:
                break
            after = page.cursors[-1]
        expected = ["u0", "u1", "u2", "u3", "u4", "u5"]
        assert seen == (expected[::-1] if descending else expected)
