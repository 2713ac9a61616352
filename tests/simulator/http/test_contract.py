"""API contract through the real kubernetes_asyncio client over HTTP.

Runs against the simulator, or against the real cluster named by ``KUBECONFIG``; the
tests that need the simulator's own hooks skip there.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import aiohttp
import orjson
import pytest
from kubernetes_asyncio import client

from graphql_server.simulator import builtin_catalogue

from ..helpers import Kube, collect, eventually, names, raw, status_of

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def configmap(
    name: str, labels: dict[str, str] | None = None, **extra: object
) -> dict[str, object]:
    meta: dict[str, object] = {"name": name, **extra}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


def deployment(name: str, replicas: int = 1) -> dict[str, object]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }


# -- discovery ---------------------------------------------------------------------------


async def test_version_and_api_versions(kube: Kube) -> None:
    version = await client.VersionApi(kube.api).get_code()
    assert version.major == "1"
    assert version.git_version.startswith("v1.")
    core = await client.CoreApi(kube.api).get_api_versions()
    assert core.versions == ["v1"]


async def test_core_resource_list_shape(kube: Kube) -> None:
    status, body = await raw(kube.api, "GET", "/api/v1")
    assert status == 200
    assert body["kind"] == "APIResourceList"
    assert body["groupVersion"] == "v1"
    pods = next(r for r in body["resources"] if r["name"] == "pods")
    assert pods["kind"] == "Pod"
    assert pods["namespaced"] is True
    assert pods["singularName"] == "pod"
    assert "po" in pods["shortNames"]
    assert {"get", "list", "watch", "create", "delete", "patch", "update"} <= set(pods["verbs"])
    nodes = next(r for r in body["resources"] if r["name"] == "nodes")
    assert nodes["namespaced"] is False


async def test_group_discovery_with_and_without_trailing_slash(kube: Kube) -> None:
    status, groups = await raw(kube.api, "GET", "/apis")
    assert status == 200
    assert groups["kind"] == "APIGroupList"
    apps = next(g for g in groups["groups"] if g["name"] == "apps")
    assert {"groupVersion": "apps/v1", "version": "v1"} in apps["versions"]
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    status, group = await raw(kube.api, "GET", "/apis/apps")
    assert status == 200
    assert group["kind"] == "APIGroup"
    assert group["name"] == "apps"
    for path in ("/apis/apps/v1", "/apis/apps/v1/"):
        status, resources = await raw(kube.api, "GET", path)
        assert status == 200
        assert resources["groupVersion"] == "apps/v1"
        deployments = next(r for r in resources["resources"] if r["name"] == "deployments")
        assert deployments["kind"] == "Deployment"
        assert "deploy" in deployments["shortNames"]


async def test_every_builtin_kind_is_discoverable(kube: Kube) -> None:
    dynamic = await kube.dynamic()
    for rtype in builtin_catalogue():
        resource = await dynamic.resources.get(api_version=rtype.api_version, kind=rtype.kind)
        assert resource.name == rtype.plural, rtype
        assert resource.namespaced == rtype.namespaced, rtype


# -- CRUD --------------------------------------------------------------------------------


async def test_create_get_replace_delete(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    created = await core.create_namespaced_config_map(ns, configmap("alpha", {"app": "a"}))
    meta = created.metadata
    assert UUID.match(meta.uid)
    assert int(meta.resource_version) > 0
    assert meta.creation_timestamp is not None
    status, body = await raw(kube.api, "GET", f"/api/v1/namespaces/{ns}/configmaps/alpha")
    assert status == 200
    assert body["kind"] == "ConfigMap"
    assert body["apiVersion"] == "v1"
    assert RFC3339.match(body["metadata"]["creationTimestamp"])
    assert body["data"] == {"k": "v"}

    with pytest.raises(client.ApiException) as exists:
        await core.create_namespaced_config_map(ns, configmap("alpha"))
    assert exists.value.status == 409
    assert status_of(exists.value)["reason"] == "AlreadyExists"

    fresh = await core.read_namespaced_config_map("alpha", ns)
    fresh.data = {"k": "v2"}
    replaced = await core.replace_namespaced_config_map("alpha", ns, fresh)
    assert int(replaced.metadata.resource_version) > int(meta.resource_version)
    assert replaced.metadata.uid == meta.uid

    stale = configmap("alpha")
    stale["metadata"]["resourceVersion"] = meta.resource_version  # type: ignore[index]
    with pytest.raises(client.ApiException) as conflict:
        await core.replace_namespaced_config_map("alpha", ns, stale)
    assert conflict.value.status == 409
    assert status_of(conflict.value)["reason"] == "Conflict"

    await core.delete_namespaced_config_map("alpha", ns)
    with pytest.raises(client.ApiException) as missing:
        await core.read_namespaced_config_map("alpha", ns)
    assert missing.value.status == 404
    body = status_of(missing.value)
    assert body["reason"] == "NotFound"
    assert body["details"]["name"] == "alpha"


async def test_invalid_objects_get_422(kube: Kube) -> None:
    with pytest.raises(client.ApiException) as bad_name:
        await kube.core.create_namespaced_config_map(kube.namespace, configmap("Not_A_Name"))
    assert bad_name.value.status == 422
    assert status_of(bad_name.value)["reason"] == "Invalid"
    with pytest.raises(client.ApiException) as no_name:
        await kube.core.create_namespaced_config_map(kube.namespace, {"metadata": {}, "data": {}})
    assert no_name.value.status == 422


async def test_generation_follows_spec_only(kube: Kube) -> None:
    apps, ns = kube.apps, kube.namespace
    created = await apps.create_namespaced_deployment(ns, deployment("web"))
    assert created.metadata.generation == 1
    relabelled = await apps.patch_namespaced_deployment(
        "web", ns, {"metadata": {"labels": {"extra": "yes"}}}
    )
    assert relabelled.metadata.generation == 1
    scaled = await apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 3}})
    assert scaled.metadata.generation == 2
    assert scaled.spec.replicas == 3


async def test_noop_update_keeps_resource_version(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    created = await core.create_namespaced_config_map(ns, configmap("same", {"a": "1"}))
    patched = await core.patch_namespaced_config_map(
        "same", ns, {"metadata": {"labels": {"a": "1"}}}
    )
    assert patched.metadata.resource_version == created.metadata.resource_version


async def test_system_namespaces_exist(kube: Kube) -> None:
    listed = await kube.core.list_namespace()
    assert {"default", "kube-system", "kube-public"} <= {n.metadata.name for n in listed.items}
    system = await kube.core.read_namespace("kube-system")
    assert UUID.match(system.metadata.uid)


async def test_object_in_missing_namespace_is_404(kube: Kube) -> None:
    with pytest.raises(client.ApiException) as missing:
        await kube.core.create_namespaced_config_map(
            f"absent-{uuid.uuid4().hex[:6]}", configmap("x")
        )
    assert missing.value.status == 404


# -- patches -----------------------------------------------------------------------------


async def test_patch_flavours(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    await core.create_namespaced_config_map(ns, configmap("p", {"keep": "1", "drop": "1"}))
    merged = await core.patch_namespaced_config_map(
        "p",
        ns,
        {"metadata": {"labels": {"drop": None, "new": "2"}}, "data": {"m": "1"}},
        _content_type="application/merge-patch+json",
    )
    assert merged.metadata.labels == {"keep": "1", "new": "2"}
    assert merged.data == {"k": "v", "m": "1"}
    strategic = await core.patch_namespaced_config_map(
        "p", ns, {"data": {"s": "1"}}, _content_type="application/strategic-merge-patch+json"
    )
    assert strategic.data == {"k": "v", "m": "1", "s": "1"}
    operations = [
        {"op": "test", "path": "/data/k", "value": "v"},
        {"op": "replace", "path": "/data/k", "value": "w"},
        {"op": "remove", "path": "/data/m"},
        {"op": "add", "path": "/metadata/labels/added", "value": "3"},
        {"op": "copy", "from": "/data/s", "path": "/data/copied"},
        {"op": "move", "from": "/data/s", "path": "/data/moved"},
    ]
    patched = await core.patch_namespaced_config_map("p", ns, operations)
    assert patched.data == {"k": "w", "copied": "1", "moved": "1"}
    assert patched.metadata.labels["added"] == "3"
    with pytest.raises(client.ApiException) as failed:
        await core.patch_namespaced_config_map(
            "p", ns, [{"op": "test", "path": "/data/k", "value": "nope"}]
        )
    assert failed.value.status == 422
    with pytest.raises(client.ApiException) as missing:
        await core.patch_namespaced_config_map("absent", ns, {"data": {"a": "b"}})
    assert missing.value.status == 404


async def test_patch_with_stale_resource_version_conflicts(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    created = await core.create_namespaced_config_map(ns, configmap("lock"))
    await core.patch_namespaced_config_map("lock", ns, {"data": {"a": "1"}})
    with pytest.raises(client.ApiException) as conflict:
        await core.patch_namespaced_config_map(
            "lock",
            ns,
            {
                "metadata": {"resourceVersion": created.metadata.resource_version},
                "data": {"b": "2"},
            },
            _content_type="application/merge-patch+json",
        )
    assert conflict.value.status == 409


# -- finalizers and deletion -------------------------------------------------------------


async def test_finalizers_hold_deletion_until_removed(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    created = await core.create_namespaced_config_map(
        ns, configmap("held", finalizers=["example.com/hold"])
    )
    rv = created.metadata.resource_version
    await core.delete_namespaced_config_map("held", ns)
    held = await core.read_namespaced_config_map("held", ns)
    assert held.metadata.deletion_timestamp is not None
    await core.patch_namespaced_config_map(
        "held", ns, {"metadata": {"finalizers": None}}, _content_type="application/merge-patch+json"
    )

    async def gone() -> bool:
        try:
            await core.read_namespaced_config_map("held", ns)
        except client.ApiException as exc:
            return exc.status == 404
        return False

    await eventually(gone)
    events = await collect(
        core.list_namespaced_config_map,
        ns,
        resource_version=rv,
        field_selector="metadata.name=held",
        timeout_seconds=1,
        until=lambda evs: any(e["type"] == "DELETED" for e in evs),
    )
    assert [e["type"] for e in events] == ["MODIFIED", "DELETED"]
    assert events[0]["object"]["metadata"]["deletionTimestamp"]


async def test_namespace_deletion_deletes_its_objects(kube: Kube) -> None:
    cluster = kube.simulator()
    core = kube.core
    await core.create_namespace({"metadata": {"name": "doomed"}})
    await core.create_namespaced_config_map("doomed", configmap("one"))
    await core.create_namespaced_secret("doomed", {"metadata": {"name": "two"}})
    rv = str(cluster.rv)
    await core.delete_namespace("doomed")
    assert not cluster.namespace_exists("doomed")
    listed = await core.list_config_map_for_all_namespaces(
        field_selector="metadata.namespace=doomed"
    )
    assert listed.items == []
    events = await collect(
        core.list_secret_for_all_namespaces, resource_version=rv, timeout_seconds=1
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("DELETED", "two")]


async def test_owner_deletion_cascades(kube: Kube) -> None:
    cluster = kube.simulator()
    pods = await kube.core.list_namespaced_pod("monitoring")
    owned = [p for p in pods.items if p.metadata.name.startswith("metrics-store-")]
    assert owned
    await kube.apps.delete_namespaced_deployment("metrics-store", "monitoring")
    after = await kube.core.list_namespaced_pod("monitoring")
    assert not [p for p in after.items if p.metadata.name.startswith("metrics-store-")]
    replicasets = await kube.apps.list_namespaced_replica_set("monitoring")
    assert all(not rs.metadata.name.startswith("metrics-store-") for rs in replicasets.items)
    assert cluster.stores["services"].get("monitoring", "metrics-store") is not None


# -- lists, selectors, pagination --------------------------------------------------------


async def test_list_shape_and_cluster_version(kube: Kube) -> None:
    await kube.core.create_namespaced_config_map(kube.namespace, configmap("listed"))
    status, body = await raw(kube.api, "GET", f"/api/v1/namespaces/{kube.namespace}/configmaps")
    assert status == 200
    assert body["kind"] == "ConfigMapList"
    assert body["apiVersion"] == "v1"
    assert int(body["metadata"]["resourceVersion"]) >= max(
        int(i["metadata"]["resourceVersion"]) for i in body["items"]
    )
    assert all(i["kind"] == "ConfigMap" and i["apiVersion"] == "v1" for i in body["items"])
    status, everywhere = await raw(kube.api, "GET", "/apis/apps/v1/deployments")
    assert status == 200
    assert everywhere["kind"] == "DeploymentList"


async def test_label_and_field_selectors(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    for name, labels in (
        ("a1", {"app": "a", "tier": "web"}),
        ("b1", {"app": "b", "tier": "db"}),
        ("c1", {"app": "c"}),
    ):
        await core.create_namespaced_config_map(ns, configmap(name, labels))

    async def select(**kwargs: str) -> list[str]:
        listed = await core.list_namespaced_config_map(ns, **kwargs)
        return sorted(
            i.metadata.name for i in listed.items if i.metadata.name != "kube-root-ca.crt"
        )

    assert await select(label_selector="app=a") == ["a1"]
    assert await select(label_selector="app==b") == ["b1"]
    assert await select(label_selector="app!=a") == ["b1", "c1"]
    assert await select(label_selector="app in (a, c)") == ["a1", "c1"]
    assert await select(label_selector="app notin (a,c)") == ["b1"]
    assert await select(label_selector="tier") == ["a1", "b1"]
    assert await select(label_selector="!tier") == ["c1"]
    assert await select(label_selector="app,tier=db") == ["b1"]
    assert await select(field_selector="metadata.name=c1") == ["c1"]
    assert await select(field_selector="metadata.name!=c1", label_selector="app") == ["a1", "b1"]
    assert await select(field_selector=f"metadata.namespace=={ns}", label_selector="app=b") == [
        "b1"
    ]
    with pytest.raises(client.ApiException) as bad:
        await core.list_namespaced_config_map(ns, label_selector="app in (a")
    assert bad.value.status == 400
    assert status_of(bad.value)["reason"] == "BadRequest"
    with pytest.raises(client.ApiException) as bad_field:
        await core.list_namespaced_config_map(ns, field_selector="spec.nope=1")
    assert bad_field.value.status == 400


async def test_pagination_is_consistent(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    expected = {f"page-{i:02d}" for i in range(25)}
    for name in sorted(expected):
        await core.create_namespaced_config_map(ns, configmap(name))
    total = len((await core.list_namespaced_config_map(ns)).items)
    first = await core.list_namespaced_config_map(ns, limit=10)
    assert len(first.items) == 10
    assert first.metadata._continue
    assert first.metadata.remaining_item_count == total - 10
    await core.create_namespaced_config_map(ns, configmap("page-zz-late"))
    seen = names([i.to_dict() for i in first.items])
    token = first.metadata._continue
    while token:
        page = await core.list_namespaced_config_map(ns, limit=10, _continue=token)
        assert page.metadata.resource_version == first.metadata.resource_version
        seen += names([i.to_dict() for i in page.items])
        token = page.metadata._continue
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == total
    assert expected <= set(seen)
    assert "page-zz-late" not in seen


async def test_expired_continue_token_is_410(kube: Kube) -> None:
    cluster = kube.simulator()
    first = await kube.core.list_pod_for_all_namespaces(limit=5)
    assert first.metadata._continue
    await kube.core.create_namespaced_config_map(kube.namespace, configmap("bump"))
    cluster.compact_history()
    with pytest.raises(client.ApiException) as gone:
        await kube.core.list_pod_for_all_namespaces(limit=5, _continue=first.metadata._continue)
    assert gone.value.status == 410
    assert status_of(gone.value)["reason"] == "Expired"


async def test_paginated_selector_list_walks_everything(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    for i in range(12):
        await core.create_namespaced_config_map(
            ns, configmap(f"s{i:02d}", {"even": str(i % 2 == 0).lower()})
        )
    seen: list[str] = []
    token = None
    while True:
        page = await core.list_namespaced_config_map(
            ns, label_selector="even=true", limit=4, _continue=token
        )
        seen += [i.metadata.name for i in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert seen == [f"s{i:02d}" for i in range(0, 12, 2)]


# -- watch -------------------------------------------------------------------------------


async def test_watch_replays_from_version(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    start = (await core.list_namespaced_config_map(ns)).metadata.resource_version
    await core.create_namespaced_config_map(ns, configmap("w1"))
    await core.patch_namespaced_config_map("w1", ns, {"data": {"x": "1"}})
    await core.delete_namespaced_config_map("w1", ns)
    events = await collect(
        core.list_namespaced_config_map,
        ns,
        resource_version=start,
        timeout_seconds=1,
        until=lambda evs: len(evs) >= 3,
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "w1"),
        ("MODIFIED", "w1"),
        ("DELETED", "w1"),
    ]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions)
    assert events[1]["object"]["data"] == {"k": "v", "x": "1"}


async def test_watch_without_version_starts_with_current_state(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    for name in ("s1", "s2"):
        await core.create_namespaced_secret(ns, {"metadata": {"name": name}, "data": {}})
    for version in (None, "0"):
        kwargs = {} if version is None else {"resource_version": version}
        events = await collect(
            core.list_namespaced_secret,
            ns,
            timeout_seconds=1,
            until=lambda evs: len(evs) >= 2,
            **kwargs,
        )
        assert {(e["type"], e["object"]["metadata"]["name"]) for e in events} == {
            ("ADDED", "s1"),
            ("ADDED", "s2"),
        }


async def test_watch_delivers_live_events(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    start = (await core.list_namespaced_config_map(ns)).metadata.resource_version

    async def produce() -> None:
        # Time passes on purpose: the change most likely comes once the watch is open.
        # It arrives either way (the watch starts at ``start``), live or replayed.
        await asyncio.sleep(0.2)
        await core.create_namespaced_config_map(ns, configmap("live"))

    producer = asyncio.create_task(produce(), name="simulator-test-producer")
    events = await collect(
        core.list_namespaced_config_map,
        ns,
        resource_version=start,
        timeout_seconds=5,
        until=lambda evs: bool(evs),
    )
    await producer
    assert events[0]["type"] == "ADDED"
    assert events[0]["object"]["metadata"]["name"] == "live"


async def test_watch_label_selector_and_leaving_it(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    start = (await core.list_namespaced_config_map(ns)).metadata.resource_version
    await core.create_namespaced_config_map(ns, configmap("in", {"team": "blue"}))
    await core.create_namespaced_config_map(ns, configmap("out", {"team": "red"}))
    await core.patch_namespaced_config_map("out", ns, {"metadata": {"labels": {"team": "blue"}}})
    await core.patch_namespaced_config_map("in", ns, {"metadata": {"labels": {"team": "red"}}})
    events = await collect(
        core.list_namespaced_config_map,
        ns,
        resource_version=start,
        label_selector="team=blue",
        timeout_seconds=1,
        until=lambda evs: len(evs) >= 3,
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "in"),
        ("ADDED", "out"),
        ("DELETED", "in"),
    ]


async def test_watch_timeout_ends_the_stream(kube: Kube) -> None:
    started = time.monotonic()
    events = await collect(kube.core.list_namespaced_pod, kube.namespace, timeout_seconds=1)
    elapsed = time.monotonic() - started
    assert events == []
    assert 0.8 <= elapsed < 5


async def test_watch_from_compacted_version_gets_410_error_event(kube: Kube) -> None:
    cluster = kube.simulator()
    old = str(cluster.rv)
    await kube.core.create_namespaced_config_map(kube.namespace, configmap("after"))
    cluster.compact_history()
    status, _ = await raw(
        kube.api, "GET", "/api/v1/pods", query_params=[("watch", "1"), ("resourceVersion", old)]
    )
    assert status == 200
    with pytest.raises(client.ApiException) as expired:
        await collect(
            kube.core.list_namespaced_config_map,
            kube.namespace,
            resource_version=old,
            timeout_seconds=2,
        )
    assert expired.value.status == 410
    assert "Expired" in str(expired.value.reason)


async def test_watch_bookmarks(kube: Kube) -> None:
    cluster = kube.simulator()
    events = await collect(
        kube.core.list_namespaced_pod,
        kube.namespace,
        resource_version=str(cluster.rv),
        allow_watch_bookmarks=True,
        timeout_seconds=3,
        until=lambda evs: len(evs) >= 2,
    )
    assert [e["type"] for e in events] == ["BOOKMARK", "BOOKMARK"]
    bookmark = events[-1]["object"]
    assert bookmark["kind"] == "Pod"
    assert bookmark["apiVersion"] == "v1"
    assert int(bookmark["metadata"]["resourceVersion"]) == cluster.rv


# -- dynamic client and CRDs -------------------------------------------------------------


async def test_dynamic_client_crud_and_watch(kube: Kube) -> None:
    dynamic = await kube.dynamic()
    deployments = await dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    created = await dynamic.create(deployments, deployment("dyn", 2), namespace=kube.namespace)
    assert created.metadata.name == "dyn"
    fetched = await dynamic.get(deployments, name="dyn", namespace=kube.namespace)
    assert fetched.spec.replicas == 2
    listed = await dynamic.get(deployments, namespace=kube.namespace)
    assert [i.metadata.name for i in listed.items] == ["dyn"]
    seen = []
    async for event in dynamic.watch(
        deployments, namespace=kube.namespace, resource_version=0, timeout=1
    ):
        seen.append((event["type"], event["object"].metadata.name))
    assert seen == [("ADDED", "dyn")]
    await dynamic.delete(deployments, name="dyn", namespace=kube.namespace)
    assert (await dynamic.get(deployments, namespace=kube.namespace)).items == []


def gadget_crd(group: str) -> dict[str, object]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {
            "group": group,
            "names": {
                "kind": "Gadget",
                "plural": "gadgets",
                "singular": "gadget",
                "shortNames": ["gd"],
            },
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": schema},
                {"name": "v1beta1", "served": True, "storage": False, "schema": schema},
            ],
        },
    }


async def test_crd_lifecycle(kube: Kube) -> None:
    group = f"t{uuid.uuid4().hex[:8]}.example.com"
    custom, ns = kube.custom, kube.namespace
    await kube.extensions.create_custom_resource_definition(gadget_crd(group))

    async def served() -> bool:
        status, body = await raw(kube.api, "GET", f"/apis/{group}/v1")
        return status == 200 and any(r["name"] == "gadgets" for r in body["resources"])

    await eventually(served)
    _, group_doc = await raw(kube.api, "GET", f"/apis/{group}")
    assert group_doc["preferredVersion"]["version"] == "v1"
    assert [v["version"] for v in group_doc["versions"]] == ["v1", "v1beta1"]
    gadget = {
        "apiVersion": f"{group}/v1",
        "kind": "Gadget",
        "metadata": {"name": "g1"},
        "spec": {"n": 1},
    }
    created = await custom.create_namespaced_custom_object(group, "v1", ns, "gadgets", gadget)
    assert created["metadata"]["uid"]
    beta = await custom.get_namespaced_custom_object(group, "v1beta1", ns, "gadgets", "g1")
    assert beta["apiVersion"] == f"{group}/v1beta1"
    listed = await custom.list_namespaced_custom_object(group, "v1", ns, "gadgets")
    assert listed["kind"] == "GadgetList"
    assert names(listed["items"]) == ["g1"]

    opened = asyncio.Event()

    def first_event(events: list[dict[str, Any]]) -> bool:
        opened.set()  # the watch is open: it has sent g1 as ADDED
        return False

    async def watch_until_closed() -> list[str]:
        events = await collect(
            custom.list_namespaced_custom_object,
            group,
            "v1",
            ns,
            "gadgets",
            timeout_seconds=30,
            until=first_event,
        )
        return [e["type"] for e in events]

    watching = asyncio.create_task(watch_until_closed(), name="simulator-test-crd-watch")
    await asyncio.wait_for(opened.wait(), 10)
    await kube.extensions.delete_custom_resource_definition(f"gadgets.{group}")

    async def unserved() -> bool:
        status, _ = await raw(kube.api, "GET", f"/apis/{group}/v1/namespaces/{ns}/gadgets")
        return status == 404

    await eventually(unserved, limit=30)
    types = await asyncio.wait_for(watching, 30)
    assert types[0] == "ADDED"


async def test_multi_version_crd_watch_uses_the_requested_version(kube: Kube) -> None:
    group = f"t{uuid.uuid4().hex[:8]}.example.com"
    await kube.extensions.create_custom_resource_definition(gadget_crd(group))

    async def served() -> bool:
        status, _ = await raw(kube.api, "GET", f"/apis/{group}/v1beta1")
        return status == 200

    await eventually(served)
    gadget = {"apiVersion": f"{group}/v1beta1", "kind": "Gadget", "metadata": {"name": "b1"}}
    await kube.custom.create_namespaced_custom_object(
        group, "v1beta1", kube.namespace, "gadgets", gadget
    )
    for version in ("v1", "v1beta1"):
        events = await collect(
            kube.custom.list_namespaced_custom_object, group, version, kube.namespace, "gadgets",
            timeout_seconds=1, until=lambda evs: bool(evs),
        )  # fmt: skip
        assert events[0]["object"]["apiVersion"] == f"{group}/{version}"
    await kube.extensions.delete_custom_resource_definition(f"gadgets.{group}")


# -- subresources, collections, apply ----------------------------------------------------


async def test_status_subresource(kube: Kube) -> None:
    apps, ns = kube.apps, kube.namespace
    await apps.create_namespaced_deployment(ns, deployment("stat"))
    updated = await apps.patch_namespaced_deployment_status(
        "stat", ns, {"status": {"replicas": 7, "observedGeneration": 1}}
    )
    assert updated.status.replicas == 7
    assert updated.metadata.generation == 1
    ignored = await apps.patch_namespaced_deployment(
        "stat", ns, {"spec": {"replicas": 2}, "status": {"replicas": 1}}
    )
    assert ignored.status.replicas == 7
    assert ignored.spec.replicas == 2


async def test_delete_collection_by_selector(kube: Kube) -> None:
    core, ns = kube.core, kube.namespace
    for name, team in (("d1", "x"), ("d2", "x"), ("d3", "y")):
        await core.create_namespaced_config_map(ns, configmap(name, {"team": team}))
    await core.delete_collection_namespaced_config_map(ns, label_selector="team=x")

    async def only_y_left() -> bool:
        listed = await core.list_namespaced_config_map(ns, label_selector="team")
        return [i.metadata.name for i in listed.items] == ["d3"]

    await eventually(only_y_left)


async def test_server_side_apply_creates_then_updates(kube: Kube) -> None:
    dynamic = await kube.dynamic()
    configmaps = await dynamic.resources.get(api_version="v1", kind="ConfigMap")
    body = configmap("applied")
    first = await dynamic.server_side_apply(
        configmaps, body=body, namespace=kube.namespace, field_manager="contract"
    )
    assert first.data.k == "v"
    body["data"] = {"k": "v2"}
    second = await dynamic.server_side_apply(
        configmaps, body=body, namespace=kube.namespace, field_manager="contract"
    )
    assert second.data.k == "v2"
    assert second.metadata.uid == first.metadata.uid


async def test_table_for_kubectl(kube: Kube) -> None:
    await kube.core.create_namespaced_config_map(kube.namespace, configmap("tabled"))
    status, table = await raw(
        kube.api, "GET", f"/api/v1/namespaces/{kube.namespace}/configmaps",
        header_params={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"},
    )  # fmt: skip
    assert status == 200
    assert table["kind"] == "Table"
    assert table["columnDefinitions"][0]["name"] == "Name"
    assert "tabled" in [row["cells"][0] for row in table["rows"]]
    row = next(r for r in table["rows"] if r["cells"][0] == "tabled")
    assert row["object"]["metadata"]["namespace"] == kube.namespace


async def test_legacy_watch_path_and_initial_events(kube: Kube) -> None:
    cluster = kube.simulator()
    assert kube.running is not None
    ns = kube.namespace
    await kube.core.create_namespaced_config_map(ns, configmap("legacy"))
    url = f"{kube.running.url}/api/v1/watch/namespaces/{ns}/configmaps/legacy"
    query = {
        "sendInitialEvents": "true", "allowWatchBookmarks": "true",
        "resourceVersionMatch": "NotOlderThan", "resourceVersion": str(cluster.rv),
        "timeoutSeconds": "1",
    }  # fmt: skip
    async with aiohttp.ClientSession() as session, session.get(url, params=query) as response:
        assert response.status == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        lines = [orjson.loads(line) async for line in response.content if line.strip()]
    assert [e["type"] for e in lines[:2]] == ["ADDED", "BOOKMARK"]
    assert lines[0]["object"]["metadata"]["name"] == "legacy"
    annotations = lines[1]["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}
