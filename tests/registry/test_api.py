"""The registry over GraphQL: components of stored resources, imports, precedence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql_server.events import RESOURCES_TOPIC
from graphql_server.settings import Settings
from tests.conftest import RunningServer, free_port, serving
from tests.helpers import data, post, ws_client
from tests.registry.fixtures import CERT_MODEL, CERTIFICATE, CERTIFICATE_REQUEST, document
from tests.registry.samples import meshery_model, meshery_pod_component, native_model
from tests.store.test_resources import row

COMPONENTS = """
query ($filter: ResourceFilter) {
  resources(filter: $filter, first: 100) {
    edges { node { name kind apiVersion component {
      kind apiVersion displayName generated
      model { name version source category }
      styles { primaryColor secondaryColor svgColor svgWhite shape }
      resolution { explanation candidates { model { name source } lostOn } }
    } } }
  }
}
"""

IMPORT = """
mutation ($d: JSON!) {
  importModels(definitions: $d) {
    added { name version source } updated { name } rejected { item path reason message } revision
  }
}
"""


def widget_row(uid: str = "w1") -> Any:
    widget = row(uid, "my-widget", kind="Widget")
    widget.api_version, widget.group, widget.resource_type = (
        "example.com/v1",
        "example.com",
        "widgets.example.com",
    )
    return widget


async def components(server: RunningServer, **filter: Any) -> dict[str, dict[str, Any]]:
    result = await data(server.graphql, COMPONENTS, {"filter": filter or None})
    return {e["node"]["name"]: e["node"]["component"] for e in result["resources"]["edges"]}


async def test_stored_resources_show_builtin_and_generated_components(
    server: RunningServer,
) -> None:
    await server.services.store.resources.apply([row("p1", "web-1"), widget_row()], [])
    found = await components(server)
    pod = found["web-1"]
    assert (pod["kind"], pod["generated"], pod["model"]["name"], pod["model"]["source"]) == (
        "Pod",
        False,
        "kubernetes",
        "BUILTIN",
    )
    assert pod["styles"]["svgColor"].startswith("<svg")
    widget = found["my-widget"]
    assert widget["generated"] is True
    assert widget["model"]["name"] == "example.com"
    assert widget["model"]["source"] == "GENERATED"


async def test_import_changes_existing_resources_and_next_event_without_restart(
    server: RunningServer,
) -> None:
    standing = server.services.broker.subscriber_count(RESOURCES_TOPIC)  # the server's own
    await server.services.store.resources.apply([widget_row()], [])
    before = (await components(server))["my-widget"]
    assert before["generated"] is True

    result = await data(server.graphql, IMPORT, {"d": native_model(priority=5)})
    assert result["importModels"]["added"] == [
        {"name": "widgets", "version": "1.0.0", "source": "IMPORTED"}
    ]
    assert result["importModels"]["rejected"] == []
    after = (await components(server))["my-widget"]
    assert (after["generated"], after["model"]["name"], after["displayName"]) == (
        False,
        "widgets",
        after["displayName"],
    )
    assert after["styles"]["primaryColor"] == "#00897B"

    async with ws_client(server.ws_url) as client:
        op = await client.subscribe(
            "subscription { resourceEvents { type resource { name "
            "component { model { name } } } } }"
        )
        while server.services.broker.subscriber_count(RESOURCES_TOPIC) == standing:
            import asyncio

            await asyncio.sleep(0.01)
        updated = widget_row()
        updated.resource_version = "2"
        for event in await server.services.store.resources.apply([updated], []):
            await server.services.broker.publish(RESOURCES_TOPIC, event)
        payload = await client.next_data(op)
    resource = payload["data"]["resourceEvents"]["resource"]
    assert resource["component"]["model"]["name"] == "widgets"


async def test_precedence_is_visible_and_deterministic(server: RunningServer) -> None:
    await server.services.store.resources.apply([row("p1", "web-1")], [])
    pod_override = native_model(
        "acme-k8s",
        components=[
            {"apiVersion": "v1", "kind": "Pod", "namespaced": True, "displayName": "Acme Pod"}
        ],
    )
    low = native_model(
        "aaa-low",
        components=[
            {"apiVersion": "v1", "kind": "Pod", "namespaced": True, "displayName": "Low Pod"}
        ],
    )
    high = dict(pod_override, priority=10)
    await data(server.graphql, IMPORT, {"d": [low, high]})
    pod = (await components(server))["web-1"]
    assert pod["displayName"] == "Acme Pod", "higher priority wins over name order"
    candidates = [
        (c["model"]["name"], c["model"]["source"], c["lostOn"])
        for c in pod["resolution"]["candidates"]
    ]
    assert candidates == [
        ("acme-k8s", "IMPORTED", None),
        ("aaa-low", "IMPORTED", "PRIORITY"),
        ("kubernetes", "BUILTIN", "SOURCE"),
    ]
    assert "priority" in pod["resolution"]["explanation"]


async def test_meshery_definitions_import(server: RunningServer) -> None:
    result = await data(server.graphql, IMPORT, {"d": [meshery_model(), meshery_pod_component()]})
    added = {(m["name"], m["source"]) for m in result["importModels"]["added"]}
    # The model, and the kubernetes model its Pod component names.
    assert added == {("keda", "IMPORTED"), ("kubernetes", "IMPORTED")}, result
    assert result["importModels"]["rejected"] == []
    listed = await data(
        server.graphql,
        '{ components(filter: {kind: "Pod", apiVersion: "v1"}) '
        "{ totalCount edges { active node { displayName model { source } } } } }",
    )
    shown = {
        (e["node"]["displayName"], e["node"]["model"]["source"], e["active"])
        for e in listed["components"]["edges"]
    }
    assert ("Pod (Meshery)", "IMPORTED", True) in shown


async def test_malformed_definitions_are_rejected_with_reasons_and_change_nothing(
    server: RunningServer,
) -> None:
    revision = server.services.registry.revision
    bad = [
        {
            "schemaVersion": "registry.graphql-server/v1",
            "name": "x",
            "version": "1.0.0",
            "components": [{"apiVersion": "v1"}],
        },
        native_model(
            "y",
            components=[{"apiVersion": "v1", "kind": "Pod", "styles": {"primaryColor": "blue"}}],
        ),
        {"schemaVersion": "nope/v9"},
        42,
    ]
    status, body = await post(server.graphql, IMPORT, {"d": bad})
    assert status == 200
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert "nothing was imported: 4 item(s) rejected" in error["message"]
    assert "components[0].kind" in error["message"]
    assert "primaryColor" in error["message"]
    assert server.services.registry.revision == revision
    assert await server.services.store.registry.documents() == []


async def test_imports_survive_a_restart(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, port=free_port())
    async with serving(settings) as first:
        await data(first.graphql, IMPORT, {"d": native_model()})
    async with serving(settings.with_changes(port=free_port())) as second:
        await second.services.store.resources.apply([widget_row()], [])
        widget = (await components(second))["my-widget"]
    assert widget["model"]["name"] == "widgets"
    assert widget["model"]["source"] == "IMPORTED"


async def test_components_paging(server: RunningServer) -> None:
    first = await data(
        server.graphql,
        "{ components(first: 10, filter: {activeOnly: true}) "
        "{ totalCount pageInfo { hasNextPage endCursor } edges { node { kind } } } }",
    )
    page = first["components"]
    assert page["totalCount"] > 40
    assert page["pageInfo"]["hasNextPage"]
    second = await data(
        server.graphql,
        "query ($a: String) { components(first: 10, after: $a, filter: {activeOnly: true}) "
        "{ edges { node { kind } } } }",
        {"a": page["pageInfo"]["endCursor"]},
    )
    kinds_1 = [e["node"]["kind"] for e in page["edges"]]
    kinds_2 = [e["node"]["kind"] for e in second["components"]["edges"]]
    assert not set(kinds_1) & set(kinds_2)
    _status, body = await post(server.graphql, '{ components(after: "x") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_models_filter_follows_the_registry(server: RunningServer) -> None:
    await server.services.store.resources.apply(
        [row("p1", "web-1"), row("s1", "svc", kind="Service"), widget_row()], []
    )
    query = (
        "query ($m: [String!]) { resources(filter: {models: $m}) "
        "{ totalCount edges { node { name } } } }"
    )
    kubernetes = await data(server.graphql, query, {"m": ["kubernetes"]})
    assert {e["node"]["name"] for e in kubernetes["resources"]["edges"]} == {"web-1", "svc"}
    generated = await data(server.graphql, query, {"m": ["example.com"]})
    assert [e["node"]["name"] for e in generated["resources"]["edges"]] == ["my-widget"]
    await data(server.graphql, IMPORT, {"d": native_model()})
    moved = await data(server.graphql, query, {"m": ["widgets"]})
    assert [e["node"]["name"] for e in moved["resources"]["edges"]] == ["my-widget"]
    assert (await data(server.graphql, query, {"m": ["example.com"]}))["resources"][
        "totalCount"
    ] == 0


async def test_every_seeded_kind_has_a_defined_component(database_url: str, tmp_path: Path) -> None:
    from graphql_server.components import sync_component
    from graphql_server.simulator import SimulatedCluster
    from tests.sync.harness import converge

    cluster = SimulatedCluster("sim", seed=2, bookmark_interval=0.3)
    cluster.seed_objects(300)
    async with cluster.serving() as running:
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
        settings = Settings(
            database_url=database_url, data_dir=tmp_path, port=free_port(), kubeconfig=kubeconfig
        )
        async with serving(settings, components=(sync_component(settings),)) as server:
            await converge(server.services.store, cluster)
            summary = await data(
                server.graphql,
                "{ resources(first: 1000) { totalCount edges { node { kind apiVersion "
                "component { generated model { name } } } } } }",
            )
    nodes = [e["node"] for e in summary["resources"]["edges"]]
    assert summary["resources"]["totalCount"] <= 1000
    generated = {(n["apiVersion"], n["kind"]) for n in nodes if n["component"]["generated"]}
    assert generated == {("example.com/v1", "Widget")}, "only the seeded CRD's kind is generated"
    builtin = {n["kind"] for n in nodes if not n["component"]["generated"]}
    assert {"Pod", "Deployment", "ReplicaSet", "Service", "Namespace", "Secret"} <= builtin


IMPORT_ITEMS = """
mutation ($d: JSON!, $replace: Boolean! = false) {
  importModels(definitions: $d, replace: $replace) {
    added { name componentCount } updated { name componentCount } revision
    items { item outcome subject modelName modelVersion apiVersion kind path reason }
  }
}
"""


async def test_meshery_files_one_request_at_a_time(server: RunningServer) -> None:
    revisions = []
    for path in (CERTIFICATE_REQUEST, CERT_MODEL, CERTIFICATE):
        done = (await data(server.graphql, IMPORT_ITEMS, {"d": document(path)}))["importModels"]
        revisions.append(done["revision"])
    (item,) = done["items"]
    assert (item["outcome"], item["kind"], item["apiVersion"], item["modelName"]) == (
        "ADDED",
        "Certificate",
        "cert-manager.io/v1",
        "cert-manager",
    )
    assert done["updated"] == [{"name": "cert-manager", "componentCount": 2}]
    assert revisions == sorted(set(revisions)), "one revision per import that changes"

    again = await data(server.graphql, IMPORT_ITEMS, {"d": document(CERTIFICATE_REQUEST)})
    assert again["importModels"]["items"][0]["outcome"] == "UNCHANGED"
    assert again["importModels"]["revision"] == revisions[-1]

    listed = await data(
        server.graphql,
        '{ components(filter: {modelNames: ["cert-manager"], activeOnly: true}) { edges '
        "{ node { kind model { source } resolution { explanation candidates { model "
        "{ source } lostOn } } } } } }",
    )
    nodes = {e["node"]["kind"]: e["node"] for e in listed["components"]["edges"]}
    for kind in ("Certificate", "CertificateRequest"):
        assert nodes[kind]["model"]["source"] == "IMPORTED"
        assert [c["lostOn"] for c in nodes[kind]["resolution"]["candidates"]] == [None, "SOURCE"]
        assert "imported model 'cert-manager'" in nodes[kind]["resolution"]["explanation"]

    replaced = await data(
        server.graphql, IMPORT_ITEMS, {"d": [document(CERT_MODEL)], "replace": True}
    )
    result = replaced["importModels"]
    assert [(i["outcome"], i["kind"]) for i in result["items"]] == [
        ("UNCHANGED", None),
        ("REMOVED", "Certificate"),
        ("REMOVED", "CertificateRequest"),
    ]
    assert result["updated"] == [{"name": "cert-manager", "componentCount": 0}]


async def test_every_connection_kind_shows_its_builtin_model_styles(
    server: RunningServer,
) -> None:
    result = await data(
        server.graphql,
        "{ connectionDefinitions { kind component { model styles { primaryColor svgColor "
        "svgWhite } } } }",
    )
    found = {d["kind"]: d["component"] for d in result["connectionDefinitions"]}
    assert set(found) == {"kubernetes", "prometheus", "grafana"}
    for kind, component in found.items():
        styles = component["styles"]
        assert styles is not None, kind
        assert styles["svgColor"].startswith("<svg ")
        assert styles["svgWhite"].startswith("<svg ")
        assert styles["primaryColor"].upper() in styles["svgColor"].upper()
    assert found["prometheus"]["model"] == "prometheus"
    assert found["grafana"]["model"] == "grafana"
