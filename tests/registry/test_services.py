"""Fingerprinting Prometheus and Grafana services from raw cluster objects."""

from __future__ import annotations

from typing import Any

import pytest

from graphql_server.registry import DiscoveredService, find_services
from graphql_server.registry.workloads import image_repository


def service(
    namespace: str,
    name: str,
    selector: dict[str, str] | None,
    ports: list[dict[str, Any]],
    labels: dict[str, str] | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": ports}
    if selector is not None:
        spec["selector"] = selector
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "namespace": namespace,
            "name": name,
            "uid": uid or f"uid-{name}",
            "labels": labels or {},
        },
        "spec": spec,
    }


def workload(
    kind: str,
    namespace: str,
    name: str,
    labels: dict[str, str],
    images: list[str],
    container_ports: list[dict[str, Any]] | None = None,
    owner: tuple[str, str] | None = None,
) -> dict[str, Any]:
    containers = [
        {"name": f"c{i}", "image": image, "ports": container_ports or []}
        for i, image in enumerate(images)
    ]
    meta: dict[str, Any] = {"namespace": namespace, "name": name}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": meta,
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}},
        },
    }


def pod(namespace: str, name: str, labels: dict[str, str], images: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": namespace, "name": name, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": image} for image in images]},
    }


def one(found: list[DiscoveredService], kind: str, name: str) -> DiscoveredService:
    matches = [s for s in found if s.kind == kind and s.name == name]
    assert len(matches) == 1, found
    return matches[0]


def test_prometheus_found_by_image_and_label_without_its_name() -> None:
    labels = {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "metrics"}
    objects = [
        service(
            "monitoring",
            "metrics-store",
            labels,
            [{"name": "web", "port": 9090, "targetPort": "web"}],
            uid="u-1",
        ),
        workload(
            "Deployment",
            "monitoring",
            "metrics-store",
            labels,
            [
                "quay.io/prometheus/prometheus:v2.53.0",
                "quay.io/prometheus-operator/prometheus-config-reloader:v0.75.0",
            ],
            [{"name": "web", "containerPort": 9090}],
        ),
    ]
    found = find_services(objects)
    assert [s.kind for s in found] == ["prometheus"]
    prom = found[0]
    assert (prom.namespace, prom.name, prom.uid) == ("monitoring", "metrics-store", "u-1")
    assert prom.url == "http://metrics-store.monitoring.svc:9090"
    assert prom.port == 9090
    assert prom.version == "v2.53.0"
    assert (
        "image quay.io/prometheus/prometheus:v2.53.0 in deployment monitoring/metrics-store"
        in prom.evidence
    )
    assert any("label app.kubernetes.io/name=prometheus" in e for e in prom.evidence)
    assert any(e.startswith("port 9090 (web)") for e in prom.evidence)
    assert prom.confidence >= 0.9


def test_grafana_found_by_image_behind_port_80() -> None:
    objects = [
        service(
            "observability",
            "dashboards",
            {"app": "dashboards"},
            [{"name": "service", "port": 80, "targetPort": 3000}],
        ),
        workload(
            "Deployment",
            "observability",
            "dashboards",
            {"app": "dashboards"},
            ["grafana/grafana:11.1.0"],
        ),
    ]
    (grafana,) = find_services(objects)
    assert grafana.kind == "grafana"
    assert grafana.name == "dashboards"
    assert grafana.url == "http://dashboards.observability.svc:80"
    assert grafana.version == "11.1.0"
    assert "image grafana/grafana:11.1.0 in deployment observability/dashboards" in grafana.evidence
    assert "port 80 (service) -> 3000 on service observability/dashboards" in grafana.evidence


def test_grafana_enterprise_with_registry_and_digest_in_a_statefulset() -> None:
    image = "docker.io/grafana/grafana-enterprise@sha256:" + "a" * 64
    objects = [
        service("ops", "boards", {"tier": "ui"}, [{"name": "http", "port": 3000}]),
        workload("StatefulSet", "ops", "boards", {"tier": "ui"}, [image]),
    ]
    (grafana,) = find_services(objects)
    assert grafana.kind == "grafana"
    assert grafana.version is None
    assert f"image {image} in statefulset ops/boards" in grafana.evidence


def test_name_alone_is_never_enough() -> None:
    objects = [
        service(
            "default",
            "prometheus-notes",
            {"app": "prometheus-notes"},
            [{"name": "http", "port": 80, "targetPort": 8080}],
            labels={"app": "prometheus-notes"},
        ),
        workload(
            "Deployment", "default", "prometheus-notes", {"app": "prometheus-notes"}, ["nginx:1.27"]
        ),
        service("default", "grafana-docs", {"app": "grafana-docs"}, [{"port": 3000}]),
        workload("Deployment", "default", "grafana-docs", {"app": "grafana-docs"}, ["nginx:1.27"]),
    ]
    assert find_services(objects) == []


def test_sibling_images_are_not_prometheus() -> None:
    objects = [
        service("monitoring", "alertmanager", {"app": "am"}, [{"port": 9093}]),
        workload(
            "StatefulSet",
            "monitoring",
            "alertmanager",
            {"app": "am"},
            ["quay.io/prometheus/alertmanager:v0.27.0"],
        ),
        service(
            "monitoring",
            "node-exporter",
            {"app": "ne"},
            [{"port": 9100}],
            labels={"app.kubernetes.io/name": "prometheus-node-exporter"},
        ),
        workload(
            "DaemonSet",
            "monitoring",
            "node-exporter",
            {"app": "ne"},
            ["quay.io/prometheus/node-exporter:v1.8.1"],
        ),
        service("monitoring", "renderer", {"app": "r"}, [{"port": 8081}]),
        workload(
            "Deployment",
            "monitoring",
            "renderer",
            {"app": "r"},
            ["grafana/grafana-image-renderer:3.11.0"],
        ),
    ]
    assert find_services(objects) == []


def test_label_alone_is_not_enough_but_label_and_port_are_weak_evidence() -> None:
    label_only = [service("a", "x", None, [{"port": 80}], labels={"app": "prometheus"})]
    assert find_services(label_only) == []
    port_only = [service("a", "y", None, [{"name": "web", "port": 9090}])]
    assert find_services(port_only) == []
    both = [
        service(
            "a",
            "z",
            None,
            [{"name": "web", "port": 9090}],
            labels={"app.kubernetes.io/name": "prometheus"},
        )
    ]
    (weak,) = find_services(both)
    assert weak.kind == "prometheus"
    assert weak.confidence < 0.5


def test_operator_managed_prometheus_via_prometheus_operated() -> None:
    selector = {"app.kubernetes.io/name": "prometheus"}
    objects = [
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Prometheus",
            "metadata": {"namespace": "monitoring", "name": "k8s"},
            "spec": {"replicas": 2},
        },
        service(
            "monitoring",
            "prometheus-operated",
            selector,
            [{"name": "web", "port": 9090, "targetPort": "web"}],
        ),
        workload(
            "StatefulSet",
            "monitoring",
            "prometheus-k8s",
            {**selector, "operator.prometheus.io/name": "k8s"},
            ["registry.internal:5000/mirror/prom-server:2.53"],
            owner=("Prometheus", "k8s"),
        ),
    ]
    (prom,) = find_services(objects)
    assert prom.name == "prometheus-operated"
    assert prom.uid == "uid-prometheus-operated"
    assert prom.url == "http://prometheus-operated.monitoring.svc:9090"
    assert any("Prometheus Operator resource(s) monitoring/k8s" in e for e in prom.evidence)
    assert any("managed by Prometheus resource monitoring/k8s" in e for e in prom.evidence)
    assert prom.confidence >= 0.9


def test_operator_resource_without_an_observed_service() -> None:
    objects = [
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Prometheus",
            "metadata": {"namespace": "mon", "name": "main"},
        }
    ]
    (prom,) = find_services(objects)
    assert (prom.name, prom.uid, prom.port) == ("prometheus-operated", None, 9090)
    assert "mon/main" in prom.evidence[0]


def test_a_prometheus_custom_resource_of_another_group_is_ignored() -> None:
    objects = [
        {
            "apiVersion": "example.com/v1",
            "kind": "Prometheus",
            "metadata": {"namespace": "mon", "name": "main"},
        }
    ]
    assert find_services(objects) == []


def test_bare_pods_are_used_when_no_workload_matches() -> None:
    objects = [
        service("lab", "scraper", {"run": "scraper"}, [{"port": 19090, "targetPort": 9090}]),
        pod("lab", "scraper-0", {"run": "scraper"}, ["prom/prometheus"]),
        pod("other", "scraper-0", {"run": "scraper"}, ["grafana/grafana"]),
    ]
    (prom,) = find_services(objects)
    assert prom.kind == "prometheus"
    assert prom.port == 19090
    assert "image prom/prometheus in pod lab/scraper-0" in prom.evidence


def test_selector_must_match_every_label_in_the_same_namespace() -> None:
    objects = [
        service("a", "svc", {"app": "x", "tier": "db"}, [{"port": 9090}]),
        workload("Deployment", "a", "only-app", {"app": "x"}, ["prom/prometheus:v2"]),
        workload("Deployment", "b", "other-ns", {"app": "x", "tier": "db"}, ["prom/prometheus"]),
    ]
    assert find_services(objects) == []


def test_replicasets_of_a_present_deployment_are_not_double_counted() -> None:
    labels = {"app": "g"}
    objects = [
        service("a", "g", labels, [{"port": 3000}]),
        workload("Deployment", "a", "g", labels, ["grafana/grafana:10.4.0"]),
        workload(
            "ReplicaSet",
            "a",
            "g-5d8f",
            labels,
            ["grafana/grafana:10.4.0"],
            owner=("Deployment", "g"),
        ),
    ]
    (grafana,) = find_services(objects)
    assert [e for e in grafana.evidence if e.startswith("image")] == [
        "image grafana/grafana:10.4.0 in deployment a/g"
    ]


def test_malformed_objects_are_ignored() -> None:
    objects: list[Any] = [
        {"kind": "Service"},
        {"kind": "Service", "metadata": [], "spec": {"ports": "x"}},
        {
            "kind": "Deployment",
            "spec": {"template": {"spec": {"containers": [None, {"image": 3}]}}},
        },
        {"kind": "Pod", "metadata": {"ownerReferences": [1]}},
        "not a dict",
        {},
    ]
    assert find_services(objects) == []


@pytest.mark.parametrize(
    ("image", "repository", "tag"),
    [
        ("quay.io/prometheus/prometheus:v2.53.0", "prometheus/prometheus", "v2.53.0"),
        ("prom/prometheus", "prom/prometheus", None),
        ("docker.io/library/nginx:1.27", "nginx", "1.27"),
        ("localhost:5000/grafana/grafana:11.1.0@sha256:abc", "grafana/grafana", "11.1.0"),
        ("ghcr.io/org/team/prometheus@sha256:abc", "org/team/prometheus", None),
        ("Grafana/Grafana:latest", "grafana/grafana", "latest"),
    ],
)
def test_image_repository(image: str, repository: str, tag: str | None) -> None:
    assert image_repository(image) == (repository, tag)


def test_labels_and_port_are_contradicted_by_visible_containers() -> None:
    labels = {"app.kubernetes.io/name": "prometheus"}
    objects = [
        service("a", "fake", labels, [{"name": "web", "port": 9090}], labels=labels),
        workload("Deployment", "a", "fake", labels, ["nginx:1.27"]),
    ]
    assert find_services(objects) == []
    (weak,) = find_services(objects[:1])  # the deployment not observed yet
    assert weak.kind == "prometheus"
    assert weak.confidence == 0.4
