"""Seeding: how many of what a generated cluster holds.

Owns :func:`seed`, which fills a cluster with about ``objects`` objects: nodes (one per
500 objects), cluster-wide RBAC, storage and priority classes, kube-system workloads, a
Prometheus (``monitoring/metrics-store``) and a Grafana (``monitoring/dashboards``) whose
names do not give them away, a decoy nginx service ``docs/prometheus-notes``, the
``widgets.example.com`` CRD with a few widgets, and application namespaces filled with
workloads, configmaps and secrets until the target is reached. Deterministic per seed.
"""

from __future__ import annotations

from typing import Any

from graphql_server.simulator.populating.population import (
    WIDGET_CRD,
    Populator,
    owner_reference,
    widget_crd,
)
from graphql_server.simulator.state import CRD_KEY, ClusterState

PROMETHEUS_IMAGE = "quay.io/prometheus/prometheus:v2.53.0"
GRAFANA_IMAGE = "grafana/grafana:11.1.0"
DECOY_IMAGE = "nginx:1.27"

_TEAMS = (
    "payments", "checkout", "search", "catalog", "identity", "billing", "ledger",
    "inventory", "shipping", "notify", "media", "reports", "gateway", "profile",
)  # fmt: skip
_APPS = (
    "api", "worker", "web", "cache", "queue", "auth", "cart", "pricing", "mailer",
    "indexer", "resizer", "scheduler", "sync", "export", "audit", "router",
)  # fmt: skip
_IMAGES = (
    "nginx:1.27", "redis:7.2", "ghcr.io/acme/api:1.4.2", "ghcr.io/acme/worker:2.0.1",
    "registry.k8s.io/pause:3.9", "python:3.12-slim", "node:20-alpine", "golang:1.22",
)  # fmt: skip
_RBAC = "rbac.authorization.k8s.io/v1"


def object_count(state: ClusterState) -> int:
    return sum(store.count for store in state.stores.values())


def _cluster_wide(pop: Populator) -> None:
    for role in ("cluster-admin", "admin", "edit", "view", "system:node", "system:kube-dns"):
        pop.put(
            "clusterroles.rbac.authorization.k8s.io",
            _RBAC,
            "ClusterRole",
            pop.meta(role),
            rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}],
        )
    pop.put(
        "clusterrolebindings.rbac.authorization.k8s.io",
        _RBAC,
        "ClusterRoleBinding",
        pop.meta("cluster-admin"),
        roleRef={
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "cluster-admin",
        },
        subjects=[
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}
        ],
    )
    pop.put(
        "storageclasses.storage.k8s.io",
        "storage.k8s.io/v1",
        "StorageClass",
        pop.meta("standard", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
        provisioner="rancher.io/local-path",
        reclaimPolicy="Delete",
        volumeBindingMode="WaitForFirstConsumer",
    )
    for name, value in (
        ("system-cluster-critical", 2000000000),
        ("system-node-critical", 2000001000),
    ):
        pop.put(
            "priorityclasses.scheduling.k8s.io",
            "scheduling.k8s.io/v1",
            "PriorityClass",
            pop.meta(name),
            value=value,
        )
    pop.put(
        "ingressclasses.networking.k8s.io",
        "networking.k8s.io/v1",
        "IngressClass",
        pop.meta("nginx"),
        spec={"controller": "k8s.io/ingress-nginx"},
    )


def _kube_system(pop: Populator) -> None:
    pop.workload(
        "kube-system",
        "coredns",
        "registry.k8s.io/coredns/coredns:v1.11.1",
        53,
        2,
        labels={"k8s-app": "kube-dns"},
    )
    labels = {"k8s-app": "kube-proxy"}
    image = "registry.k8s.io/kube-proxy:v1.31.0"
    daemonset = pop.put(
        "daemonsets.apps",
        "apps/v1",
        "DaemonSet",
        pop.meta("kube-proxy", "kube-system", labels=dict(labels)),
        spec={
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": "kube-proxy", "image": image}]},
            },
        },
        status={
            "currentNumberScheduled": len(pop.nodes),
            "desiredNumberScheduled": len(pop.nodes),
            "numberMisscheduled": 0,
            "numberReady": len(pop.nodes),
        },
    )
    owner = owner_reference("apps/v1", "DaemonSet", daemonset)
    for _ in pop.nodes:
        pop.pod("kube-system", f"kube-proxy-{pop.suffix(5)}", labels, image, 10249, owner)


def _observability(pop: Populator) -> None:
    pop.namespace("monitoring")
    pop.workload(
        "monitoring",
        "metrics-store",
        PROMETHEUS_IMAGE,
        9090,
        1,
        labels={"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/version": "2.53.0"},
    )
    pop.workload(
        "monitoring",
        "dashboards",
        GRAFANA_IMAGE,
        3000,
        1,
        labels={"app.kubernetes.io/name": "grafana", "app.kubernetes.io/version": "11.1.0"},
    )
    pop.namespace("docs")
    pop.workload(
        "docs",
        "prometheus-notes",
        DECOY_IMAGE,
        80,
        1,
        labels={"app.kubernetes.io/name": "prometheus-notes"},
    )


def _widgets(pop: Populator, state: ClusterState) -> None:
    crd_type = state.types[CRD_KEY]
    if state.stores[CRD_KEY].get("", WIDGET_CRD) is None:
        state.create(crd_type, "", widget_crd())
        pop.count += 1
    for index, colour in enumerate(("red", "green", "blue", "amber", "violet")):
        pop.put(
            "widgets.example.com",
            "example.com/v1",
            "Widget",
            pop.meta(f"widget-{colour}", "default", labels={"colour": colour}),
            spec={"size": index + 1, "colour": colour},
            status={"ready": index % 2 == 0},
        )


def seed(state: ClusterState, objects: int = 1000, seed: int | None = None) -> dict[str, Any]:
    """Fill ``state`` up to about ``objects`` objects; returns a summary of what it holds."""
    pop = Populator(state, state.seed if seed is None else seed)
    rng = pop.rng
    for index in range(max(1, min(500, objects // 500))):
        pop.node(index)
    _cluster_wide(pop)
    _kube_system(pop)
    _observability(pop)
    _widgets(pop, state)
    namespaces = [
        f"{_TEAMS[i % len(_TEAMS)]}-{i // len(_TEAMS)}"
        for i in range(max(2, min(200, objects // 2000)))
    ]
    for namespace in namespaces:
        pop.namespace(namespace)
    total = object_count(state)
    unit = 0
    while total < objects - 12:
        namespace = namespaces[unit % len(namespaces)]
        app = f"{rng.choice(_APPS)}-{unit}"
        replicas = rng.choice((1, 1, 2, 2, 3, 4))
        pop.workload(namespace, app, rng.choice(_IMAGES), rng.choice((80, 8080, 9000)), replicas)
        pop.config(namespace, f"{app}-config")
        if unit % 2:
            pop.secret(namespace, f"{app}-credentials")
        total = object_count(state)
        unit += 1
    extra = 0
    while total < objects:
        pop.config(namespaces[extra % len(namespaces)], f"settings-{extra}")
        extra += 1
        total += 1
    return {
        "objects": object_count(state),
        "resourceVersion": state.rv,
        "kinds": {key: store.count for key, store in state.stores.items() if store.count},
    }
