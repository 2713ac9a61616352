"""Building blocks of a generated cluster population.

Owns :class:`Populator`, which writes realistic objects through the state's trusted path
(nodes with their leases, namespaces with their default serviceaccount and root CA
configmap, workloads as a deployment owning a replicaset owning pods plus a service and
endpoints over them, configmaps, secrets) with uids, names and timestamps drawn from one
seeded random generator, and the ``widgets.example.com`` CRD. It decides nothing about
how many of each: that is :mod:`seeding`.
"""

from __future__ import annotations

import base64
import random
import uuid
from typing import Any

from graphql_server.simulator.objects import rfc3339
from graphql_server.simulator.state import ROOT_CA, ClusterState

BASE_EPOCH = 1717200000  # 2024-06-01T00:00:00Z
WIDGET_CRD = "widgets.example.com"
_HASH_CHARS = "bcdfghjklmnpqrstvwxz2456789"


class Populator:
    def __init__(self, state: ClusterState, seed: int) -> None:
        self.state = state
        self.rng = random.Random(seed)
        self.count = 0
        self.clock = BASE_EPOCH
        self.nodes: list[str] = []

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def stamp(self) -> str:
        self.clock += self.rng.randint(1, 30)
        return rfc3339(self.clock)

    def suffix(self, size: int) -> str:
        return "".join(self.rng.choice(_HASH_CHARS) for _ in range(size))

    def meta(self, name: str, namespace: str = "", **extra: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        meta["uid"] = self.uid()
        meta["creationTimestamp"] = self.stamp()
        meta.update(extra)
        return meta

    def put(
        self, key: str, api_version: str, kind: str, meta: dict[str, Any], **body: Any
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}
        self.state.upsert(key, obj)
        self.count += 1
        return obj

    # -- building blocks -------------------------------------------------------------------

    def namespace(self, name: str) -> None:
        if self.state.namespace_exists(name):
            return
        meta = self.meta(name, labels={"kubernetes.io/metadata.name": name})
        self.put(
            "namespaces",
            "v1",
            "Namespace",
            meta,
            spec={"finalizers": ["kubernetes"]},
            status={"phase": "Active"},
        )
        self.put("serviceaccounts", "v1", "ServiceAccount", self.meta("default", name))
        self.put(
            "configmaps",
            "v1",
            "ConfigMap",
            self.meta("kube-root-ca.crt", name),
            data={"ca.crt": ROOT_CA},
        )

    def node(self, index: int) -> None:
        name = f"node-{index:04d}"
        zone = f"zone-{'abc'[index % 3]}"
        labels = {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": zone,
            "node.kubernetes.io/instance-type": "m5.xlarge",
        }
        if index < 3:
            labels["node-role.kubernetes.io/control-plane"] = ""
        status = {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "addresses": [
                {"type": "InternalIP", "address": f"10.0.{index // 250}.{index % 250 + 1}"}
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": self.uid(),
                "containerRuntimeVersion": "containerd://1.7.18",
                "kernelVersion": "6.5.0-1022-aws",
                "kubeProxyVersion": "v1.31.0",
                "kubeletVersion": "v1.31.0",
                "machineID": self.uid().replace("-", ""),
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.4 LTS",
                "systemUUID": self.uid(),
            },
        }
        self.put(
            "nodes",
            "v1",
            "Node",
            self.meta(name, labels=labels),
            spec={"podCIDR": f"10.244.{index % 256}.0/24"},
            status=status,
        )
        self.put(
            "leases.coordination.k8s.io",
            "coordination.k8s.io/v1",
            "Lease",
            self.meta(name, "kube-node-lease"),
            spec={"holderIdentity": name, "leaseDurationSeconds": 40},
        )
        self.nodes.append(name)

    def pod(
        self,
        namespace: str,
        name: str,
        labels: dict[str, str],
        image: str,
        port: int,
        owner: dict[str, Any],
    ) -> None:
        container = labels.get("app", "app")
        node = self.rng.choice(self.nodes)
        ip = f"10.244.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
        spec = {
            "containers": [
                {
                    "name": container,
                    "image": image,
                    "ports": [{"containerPort": port, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                }
            ],
            "nodeName": node,
            "restartPolicy": "Always",
            "serviceAccountName": "default",
            "schedulerName": "default-scheduler",
            "dnsPolicy": "ClusterFirst",
        }
        status = {
            "phase": "Running",
            "podIP": ip,
            "hostIP": "10.0.0.1",
            "qosClass": "Burstable",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": container,
                    "ready": True,
                    "restartCount": 0,
                    "image": image,
                    "imageID": f"docker.io/library/{image}@sha256:{self.suffix(12)}",
                    "started": True,
                }
            ],
        }
        meta = self.meta(name, namespace, labels=dict(labels), ownerReferences=[owner])
        self.put("pods", "v1", "Pod", meta, spec=spec, status=status)

    def workload(
        self,
        namespace: str,
        name: str,
        image: str,
        port: int,
        replicas: int,
        labels: dict[str, str] | None = None,
    ) -> None:
        """A deployment, its replicaset and pods, and a service (with endpoints) over them."""
        selector = {"app": name}
        pod_labels = {**selector, **(labels or {})}
        template_hash = self.suffix(10)
        deploy_meta = self.meta(
            name,
            namespace,
            labels=dict(pod_labels),
            managedFields=[
                {
                    "manager": "kubectl-client-side-apply",
                    "operation": "Update",
                    "apiVersion": "apps/v1",
                    "time": rfc3339(self.clock),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:replicas": {}}},
                }
            ],
        )
        template = {
            "metadata": {"labels": dict(pod_labels)},
            "spec": {
                "containers": [{"name": name, "image": image, "ports": [{"containerPort": port}]}]
            },
        }
        ready = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}
        deployment = self.put(
            "deployments.apps",
            "apps/v1",
            "Deployment",
            deploy_meta,
            spec={
                "replicas": replicas,
                "selector": {"matchLabels": dict(selector)},
                "template": template,
            },
            status={**ready, "updatedReplicas": replicas, "observedGeneration": 1},
        )
        rs_name = f"{name}-{template_hash}"
        rs_labels = {**pod_labels, "pod-template-hash": template_hash}
        rs_meta = self.meta(
            rs_name,
            namespace,
            labels=dict(rs_labels),
            ownerReferences=[owner_reference("apps/v1", "Deployment", deployment)],
        )
        replicaset = self.put(
            "replicasets.apps",
            "apps/v1",
            "ReplicaSet",
            rs_meta,
            spec={
                "replicas": replicas,
                "selector": {"matchLabels": {**selector, "pod-template-hash": template_hash}},
                "template": {**template, "metadata": {"labels": dict(rs_labels)}},
            },
            status={**ready, "observedGeneration": 1},
        )
        owner = owner_reference("apps/v1", "ReplicaSet", replicaset)
        for _ in range(replicas):
            self.pod(namespace, f"{rs_name}-{self.suffix(5)}", rs_labels, image, port, owner)
        ip = f"10.96.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
        self.put(
            "services",
            "v1",
            "Service",
            self.meta(name, namespace, labels=dict(pod_labels)),
            spec={
                "type": "ClusterIP",
                "clusterIP": ip,
                "selector": dict(selector),
                "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
            },
        )
        self.put(
            "endpoints",
            "v1",
            "Endpoints",
            self.meta(name, namespace, labels=dict(pod_labels)),
            subsets=[{"ports": [{"name": "http", "port": port, "protocol": "TCP"}]}],
        )

    def config(self, namespace: str, name: str) -> None:
        self.put(
            "configmaps",
            "v1",
            "ConfigMap",
            self.meta(name, namespace),
            data={"LOG_LEVEL": "info", "FEATURE_FLAGS": "a,b", "settings.yaml": "x: 1\n"},
        )

    def secret(self, namespace: str, name: str) -> None:
        data = {"username": _b64("app"), "password": _b64(self.suffix(16))}
        self.put("secrets", "v1", "Secret", self.meta(name, namespace), type="Opaque", data=data)


def owner_reference(api_version: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def widget_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``widgets.example.com`` used by the seed."""
    schema = {
        "openAPIV3Schema": {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {"size": {"type": "integer"}, "colour": {"type": "string"}},
                },
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        }
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": WIDGET_CRD},
        "spec": {
            "group": "example.com",
            "names": {
                "kind": "Widget",
                "plural": "widgets",
                "singular": "widget",
                "shortNames": ["wd"],
                "listKind": "WidgetList",
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": schema,
                    "subresources": {"status": {}},
                }
            ],
        },
    }
