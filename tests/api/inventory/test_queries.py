"""Resource queries over real HTTP: every filter, ordering, keyset pagination while the
data changes, owners and children (batched), counts, namespaces and labels."""

from __future__ import annotations

from typing import Any

import pytest

from graphql_server.api.inventory.loaders import Loaders
from graphql_server.store.resources import ResourceStore
from tests.api.inventory.seed import C1, C2, apply, names, resource, seed
from tests.conftest import RunningServer
from tests.helpers import data, post

PAGE = """
query ($filter: ResourceFilter, $first: Int!, $after: String, $order: ResourceOrder) {
  resources(filter: $filter, first: $first, after: $after, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name kind namespace clusterId } }
  }
}
"""


async def page(server: RunningServer, **variables: Any) -> dict[str, Any]:
    variables.setdefault("first", 100)
    result = await data(server.graphql, PAGE, variables)
    connection: dict[str, Any] = result["resources"]
    return connection


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"clusterIds": [C2]}, ["web-x"]),
        ({"namespaces": ["blog"]}, ["blog-0"]),
        ({"namespaces": [""]}, ["blog", "node-1", "shop"]),
        ({"kinds": ["Deployment", "Service"]}, ["web", "web"]),
        ({"apiVersions": ["apps/v1"]}, ["web", "web-7d9f"]),
        ({"labelSelector": "tier=front"}, ["web-7d9f-a", "web-7d9f-b"]),
        ({"labelSelector": "app in (db, blog)"}, ["blog-0", "db-0"]),
        ({"labelSelector": "app,app!=web"}, ["blog-0", "db-0"]),
        ({"labelSelector": "!app", "kinds": ["Namespace", "Node"]}, ["blog", "node-1", "shop"]),
        ({"search": "7D9F"}, ["web-7d9f", "web-7d9f-a", "web-7d9f-b"]),
        ({"owner": f"{C1}/web-rs"}, ["web-7d9f-a", "web-7d9f-b"]),
        ({"owner": f"{C1}/web"}, ["web-7d9f"]),
        ({"owner": f"{C1}/web-rs", "clusterIds": [C2]}, []),
        (
            {
                "clusterIds": [C1, C2],
                "namespaces": ["shop"],
                "kinds": ["Pod"],
                "apiVersions": ["v1"],
                "labelSelector": "app=web",
                "search": "web",
            },
            ["web-7d9f-a", "web-7d9f-b", "web-x"],
        ),
    ],
)
async def test_each_filter_and_their_combination(
    server: RunningServer, filter: dict[str, Any], expected: list[str]
) -> None:
    await seed(server)
    connection = await page(server, filter=filter)
    assert names(connection) == expected
    assert connection["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"field": "KIND"}, ["Deployment", "Namespace", "Namespace", "Node", "Pod"]),
        ({"field": "KIND", "direction": "DESC"}, ["Service", "ReplicaSet", "Pod", "Pod", "Pod"]),
        ({"field": "NAMESPACE", "direction": "DESC"}, ["shop", "shop", "shop", "shop", "shop"]),
        ({"field": "CREATED_AT"}, ["shop", "blog", "node-1", "web", "web-7d9f"]),
        ({"field": "CREATED_AT", "direction": "DESC"}, ["web-x", "blog-0", "web", "db-0"]),
        ({"field": "UPDATED_AT", "direction": "DESC"}, ["web", "web-7d9f-a", "db-0"]),
    ],
)
async def test_ordering(server: RunningServer, order: dict[str, Any], expected: list[str]) -> None:
    await seed(server)
    connection = await page(server, order=order, first=len(expected))
    nodes = [edge["node"] for edge in connection["edges"]]
    field = {"KIND": "kind", "NAMESPACE": "namespace"}.get(order["field"], "name")
    assert [node[field] for node in nodes] == expected


@pytest.mark.parametrize("order", ["NAME", "KIND", "NAMESPACE", "CREATED_AT", "UPDATED_AT"])
async def test_pages_have_no_duplicates_or_gaps_while_data_changes(
    server: RunningServer, order: str
) -> None:
    await apply(
        server,
        [
            resource(
                f"u{i:03}",
                f"n{i % 9}",
                kind=("Pod", "Service", "ConfigMap")[i % 3],
                namespace=f"ns{i % 4}",
                created=i % 7,
                updated=i % 5,
            )
            for i in range(80)
        ],
    )
    seen: list[str] = []
    deleted: set[str] = set()
    after = None
    step = 0
    while True:
        connection = await page(server, first=9, after=after, order={"field": order})
        seen.extend(edge["node"]["id"].split("/")[1] for edge in connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]
        step += 1
        # Between pages: a seen row changes (same sort key), one goes, new ones arrive.
        i = int(seen[0][1:])
        changed = resource(
            seen[0],
            f"n{i % 9}",
            kind=("Pod", "Service", "ConfigMap")[i % 3],
            namespace=f"ns{i % 4}",
            created=i % 7,
            updated=i % 5,
            version=str(step + 1),
            labels={"step": str(step)},
        )
        await apply(server, [changed, resource(f"new{step}", "a", created=0, namespace="ns0")])
        await apply(server, [], deletes=((C1, seen[-1]),))
        deleted.add(seen[-1])
    assert len(seen) == len(set(seen)), "a resource was returned twice"
    original = {f"u{i:03}" for i in range(80)}
    assert original - deleted <= set(seen), "a resource present all along was skipped"


async def test_cursor_of_another_order_is_bad_input(server: RunningServer) -> None:
    await seed(server)
    first = await page(server, first=2)
    status, body = await post(
        server.graphql,
        PAGE,
        {"first": 2, "after": first["pageInfo"]["endCursor"], "order": {"field": "KIND"}},
    )
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


OWNERS_AND_CHILDREN = """
{
  resources(filter: { kinds: ["Deployment"] }) {
    edges {
      node {
        name
        children {
          kind name
          owners { kind name }
          children { kind name owners { name } }
        }
      }
    }
  }
  pod: resource(id: "c-1/web-a") { owners { name owners { kind name owners { name } } } }
  orphan: resource(id: "c-1/db-0") { owners { name } children { name } }
}
"""


async def test_owners_and_children_follow_owner_references(server: RunningServer) -> None:
    await seed(server)
    result = await data(server.graphql, OWNERS_AND_CHILDREN)
    deployment = result["resources"]["edges"][0]["node"]
    assert deployment == {
        "name": "web",
        "children": [
            {
                "kind": "ReplicaSet",
                "name": "web-7d9f",
                "owners": [{"kind": "Deployment", "name": "web"}],
                "children": [
                    {"kind": "Pod", "name": "web-7d9f-a", "owners": [{"name": "web-7d9f"}]},
                    {"kind": "Pod", "name": "web-7d9f-b", "owners": [{"name": "web-7d9f"}]},
                ],
            }
        ],
    }
    assert result["pod"] == {
        "owners": [
            {"name": "web-7d9f", "owners": [{"kind": "Deployment", "name": "web", "owners": []}]}
        ]
    }
    assert result["orphan"] == {"owners": [], "children": []}
    filtered = await data(
        server.graphql,
        '{ resource(id: "c-1/web-rs") { children(kinds: ["Service"]) { name } } }',
    )
    assert filtered == {"resource": {"children": []}}


async def test_links_are_batched_per_level(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Children of every node of a page in one store query, owners in one more."""
    await seed(server)
    await apply(
        server,
        [
            resource(f"rs-{i}", f"rs-{i}", kind="ReplicaSet", owner=("Deployment", "web"))
            for i in range(20)
        ]
        + [resource(f"pod-{i}", f"pod-{i}", owner=("ReplicaSet", f"rs-{i}")) for i in range(20)],
    )
    calls: list[tuple[str, int]] = []
    children_of = ResourceStore.children_of
    get_many = ResourceStore.get_many

    async def counting_children_of(self: ResourceStore, owners: Any) -> Any:
        calls.append(("children_of", len(owners)))
        return await children_of(self, owners)

    async def counting_get_many(self: ResourceStore, keys: Any) -> Any:
        calls.append(("get_many", len(keys)))
        return await get_many(self, keys)

    monkeypatch.setattr(ResourceStore, "children_of", counting_children_of)
    monkeypatch.setattr(ResourceStore, "get_many", counting_get_many)
    result = await data(
        server.graphql,
        '{ resources(filter: { kinds: ["ReplicaSet"] }, first: 100) '
        "{ edges { node { name owners { name } children { name owners { name } } } } } }",
    )
    nodes = [edge["node"] for edge in result["resources"]["edges"]]
    assert len(nodes) == 21
    assert all(n["owners"] == [{"name": "web"}] for n in nodes)
    assert sorted(calls) == [("children_of", 21), ("get_many", 1), ("get_many", 21)]


async def test_loaders_do_not_outlive_their_operation(server: RunningServer) -> None:
    await seed(server)
    query = '{ resource(id: "c-1/web-rs") { owners { name } } }'
    assert await data(server.graphql, query) == {"resource": {"owners": [{"name": "web"}]}}
    await apply(server, [resource("web", "web-renamed", kind="Deployment", version="2")])
    assert await data(server.graphql, query) == {"resource": {"owners": [{"name": "web-renamed"}]}}
    loaders = Loaders(server.services.store, server.services.fingerprints)
    assert await loaders.resources.load((C1, "web")) is not None
    assert await loaders.children.load((C1, "shop", "nothing")) == []


SUMMARY = """
query ($filter: ResourceFilter) {
  resourceSummary(filter: $filter) {
    total
    byKind { key count }
    byNamespace { key count }
    byCluster { key count }
  }
}
"""


async def test_resource_summary_counts_by_kind_namespace_and_cluster(
    server: RunningServer,
) -> None:
    await seed(server)
    everything = (await data(server.graphql, SUMMARY))["resourceSummary"]
    assert everything["total"] == 11
    assert everything["byCluster"] == [{"key": C1, "count": 10}, {"key": C2, "count": 1}]
    assert {"key": "Pod", "count": 5} in everything["byKind"]
    assert everything["byNamespace"] == [
        {"key": "", "count": 3},
        {"key": "blog", "count": 1},
        {"key": "shop", "count": 7},
    ]
    web = await data(server.graphql, SUMMARY, {"filter": {"labelSelector": "app=web"}})
    assert web["resourceSummary"] == {
        "total": 6,
        "byKind": [
            {"key": "Deployment", "count": 1},
            {"key": "Pod", "count": 3},
            {"key": "ReplicaSet", "count": 1},
            {"key": "Service", "count": 1},
        ],
        "byNamespace": [{"key": "shop", "count": 6}],
        "byCluster": [{"key": C1, "count": 5}, {"key": C2, "count": 1}],
    }


async def test_namespaces_and_labels(server: RunningServer) -> None:
    await seed(server)
    result = await data(
        server.graphql,
        f'{{ all: namespaces one: namespaces(clusterIds: ["{C2}"]) '
        f'labels(clusterIds: ["{C1}"], kinds: ["Pod"]) {{ key count values {{ value count }} }} }}',
    )
    assert result["all"] == ["blog", "shop"]
    assert result["one"] == ["shop"]
    assert result["labels"] == [
        {
            "key": "app",
            "count": 4,
            "values": [
                {"value": "blog", "count": 1},
                {"value": "db", "count": 1},
                {"value": "web", "count": 2},
            ],
        },
        {"key": "tier", "count": 2, "values": [{"value": "front", "count": 2}]},
    ]
