"""The official ``kubernetes`` Python client against the simulator: typed APIs, the scale
subresource, strategic and apply patches, and the dynamic client.

The client is synchronous; its calls run in a worker thread while the simulator serves
on the test's event loop. Expectations follow the API reference: ``*_scale`` calls
read and write ``autoscaling/v1`` Scale; strategic merge patches merge containers by
name; server-side apply conflicts are 409 with FieldManagerConflict causes; custom
resources refuse strategic merge patches with 415 and schema violations with 422.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

from graphql_server.simulator import SimulatedCluster

from ..kubectl.manifests import CRD

T = TypeVar("T")
SMP = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


async def call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(func, *args, **kwargs)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[client.ApiClient]:
    cluster = SimulatedCluster("official", seed=5)
    async with cluster.serving() as running:
        path = running.write_kubeconfig(tmp_path / "kubeconfig.json")
        cfg = client.Configuration()
        config.load_kube_config(config_file=str(path), client_configuration=cfg)
        with client.ApiClient(cfg) as api_client:
            yield api_client


def deployment() -> client.V1Deployment:
    labels = {"app": "web"}
    containers = [
        client.V1Container(name="app", image="nginx:1.25",
                           ports=[client.V1ContainerPort(container_port=80)]),
        client.V1Container(name="sidecar", image="busybox:1.36"),
    ]  # fmt: skip
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web", labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=containers),
            ),
        ),
    )


async def test_typed_apis_scale_and_patches(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    created = await call(apps.create_namespaced_deployment, "default", deployment())
    assert created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.template.spec.containers[0].ports[0].protocol == "TCP"

    scale = await call(apps.read_namespaced_deployment_scale, "web", "default")
    assert isinstance(scale, client.V1Scale)
    assert scale.spec.replicas == 2
    assert scale.status.selector == "app=web"
    await call(
        apps.patch_namespaced_deployment_scale, "web", "default", {"spec": {"replicas": 4}},
        _content_type="application/merge-patch+json",
    )  # fmt: skip
    # A Scale carries the object's resourceVersion: a stale one is a conflict.
    with pytest.raises(ApiException) as stale:
        await call(apps.replace_namespaced_deployment_scale, "web", "default", scale)
    assert stale.value.status == 409
    scale = await call(apps.read_namespaced_deployment_scale, "web", "default")
    assert scale.spec.replicas == 4
    scale.spec.replicas = 6
    replaced = await call(apps.replace_namespaced_deployment_scale, "web", "default", scale)
    assert replaced.spec.replicas == 6
    assert (await call(apps.read_namespaced_deployment, "web", "default")).spec.replicas == 6

    container = {"name": "app", "image": "nginx:1.27"}
    patch = {"spec": {"template": {"spec": {"containers": [container]}}}}
    patched = await call(
        apps.patch_namespaced_deployment, "web", "default", patch, _content_type=SMP
    )
    images = {c.name: c.image for c in patched.spec.template.spec.containers}
    assert images == {"app": "nginx:1.27", "sidecar": "busybox:1.36"}
    assert patched.metadata.generation == 4  # two scalings and this patch changed the spec

    with pytest.raises(ApiException) as raised:
        await call(
            apps.patch_namespaced_deployment, "web", "default",
            {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1}},
            field_manager="ops", _content_type=APPLY,
        )  # fmt: skip
    assert raised.value.status == 409
    status = json.loads(raised.value.body)
    assert status["reason"] == "Conflict"
    [cause] = status["details"]["causes"]
    assert cause["reason"] == "FieldManagerConflict"
    assert cause["field"] == ".spec.replicas"
    forced = await call(
        apps.patch_namespaced_deployment, "web", "default",
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1}},
        field_manager="ops", force=True, _content_type=APPLY,
    )  # fmt: skip
    assert forced.spec.replicas == 1
    assert "ops" in {m.manager for m in forced.metadata.managed_fields}


async def test_dynamic_client_with_custom_resources(api: client.ApiClient) -> None:
    await call(client.CoreV1Api(api).create_namespace, {"metadata": {"name": "shop"}})
    dyn = await call(dynamic.DynamicClient, api)
    crds = await call(dyn.resources.get, api_version="apiextensions.k8s.io/v1",
                      kind="CustomResourceDefinition")  # fmt: skip
    await call(crds.create, body=yaml.safe_load(CRD))
    await call(dyn.resources.invalidate_cache)
    gadgets = await call(dyn.resources.get, api_version="example.com/v1", kind="Gadget")
    gadget = {
        "apiVersion": "example.com/v1",
        "kind": "Gadget",
        "metadata": {"name": "g1"},
        "spec": {"size": 3, "colour": "red", "stray": 1},
    }
    created = await call(gadgets.create, body=gadget, namespace="shop")
    # Fields the schema does not declare are pruned.
    assert created.spec.to_dict() == {"size": 3, "colour": "red"}
    with pytest.raises(ApiException) as raised:
        await call(gadgets.create, namespace="shop", body={**gadget, "metadata": {"name": "g2"},
                   "spec": {"size": "big"}})  # fmt: skip
    assert raised.value.status == 422
    causes = json.loads(raised.value.body)["details"]["causes"]
    assert [c["field"] for c in causes] == ["spec.size"]
    with pytest.raises(ApiException) as raised:
        await call(gadgets.patch, name="g1", namespace="shop", body={"spec": {"size": 4}},
                   content_type=SMP)  # fmt: skip
    assert raised.value.status == 415
    merged = await call(gadgets.patch, name="g1", namespace="shop", body={"spec": {"size": 4}},
                        content_type="application/merge-patch+json")  # fmt: skip
    assert merged.spec.size == 4
    deployments = await call(dyn.resources.get, api_version="apps/v1", kind="Deployment")
    applied = await call(
        deployments.server_side_apply, namespace="shop", field_manager="dyn",
        body=api.sanitize_for_serialization(deployment()) | {
            "apiVersion": "apps/v1", "kind": "Deployment"},
    )  # fmt: skip
    assert applied.metadata.managedFields[0].manager == "dyn"
    assert applied.metadata.managedFields[0].operation == "Apply"
