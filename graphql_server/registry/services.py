"""Fingerprinting monitoring services: Prometheus and Grafana running in a cluster.

Pure functions over the raw Kubernetes objects of one cluster (Services, workloads,
Pods and Prometheus Operator ``Prometheus`` resources, as the API returns them with
``kind`` set). A Service is matched to the workloads its selector picks, and scored on:

- the container image (strong): ``quay.io/prometheus/prometheus``, ``prom/prometheus``,
  ``grafana/grafana``, ``grafana/grafana-enterprise`` ... any registry, tag or digest;
- the Prometheus Operator (strong): ``monitoring.coreos.com/v1`` ``Prometheus``
  resources are served by the ``prometheus-operated`` Service of their namespace;
- well-known labels (``app.kubernetes.io/name``, ``app``, ``app.kubernetes.io/component``)
  whose value is exactly the product name (supporting);
- ports 9090 / 3000 (supporting).

Names are never evidence: a Service called ``prometheus-notes`` running nginx is not
Prometheus. Labels and ports together are enough, at low confidence, only when the
selected containers are not visible (not yet observed, or a Service without selector);
visible containers that run something else contradict them. Must not do I/O or import
the Kubernetes client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from graphql_server.registry.workloads import (
    Workload,
    WorkloadIndex,
    collect_workloads,
    image_repository,
    str_map,
)

ServiceKind = Literal["prometheus", "grafana"]
LABEL_KEYS = ("app.kubernetes.io/name", "app", "app.kubernetes.io/component")
OPERATED_SERVICE = "prometheus-operated"


@dataclass(frozen=True, slots=True)
class DiscoveredService:
    """A monitoring service found in a cluster; identity is relative to that cluster."""

    kind: ServiceKind
    namespace: str
    name: str
    uid: str | None
    url: str
    port: int
    confidence: float
    evidence: tuple[str, ...]
    version: str | None = None


@dataclass(frozen=True, slots=True)
class _Signature:
    kind: ServiceKind
    images: frozenset[str]
    label_values: frozenset[str]
    port: int
    port_names: frozenset[str]


SIGNATURES = (
    _Signature(
        kind="prometheus",
        images=frozenset({"prometheus", "mirrored-prometheus-prometheus"}),
        label_values=frozenset({"prometheus"}),
        port=9090,
        port_names=frozenset({"web", "http-web"}),
    ),
    _Signature(
        kind="grafana",
        images=frozenset(
            {"grafana", "grafana-enterprise", "grafana-oss", "mirrored-grafana-grafana"}
        ),
        label_values=frozenset({"grafana"}),
        port=3000,
        port_names=frozenset({"grafana", "http", "service", "http-web"}),
    ),
)


def find_services(objects: Iterable[Mapping[str, Any]]) -> list[DiscoveredService]:
    """Every Prometheus and Grafana service among one cluster's objects, best evidence first."""
    services: list[Mapping[str, Any]] = []
    prometheuses: dict[str, list[str]] = {}
    raw: list[Mapping[str, Any]] = []
    for obj in objects:
        if not isinstance(obj, Mapping):
            continue
        kind = obj.get("kind")
        if kind == "Service":
            services.append(obj)
        elif kind == "Prometheus" and str(obj.get("apiVersion", "")).startswith(
            "monitoring.coreos.com/"
        ):
            meta = _meta(obj)
            prometheuses.setdefault(meta.get("namespace", ""), []).append(meta.get("name", ""))
        else:
            raw.append(obj)
    workloads = WorkloadIndex(collect_workloads(raw))
    found: list[DiscoveredService] = []
    for service in services:
        matched = workloads.matching(service)
        for signature in SIGNATURES:
            operated = prometheuses if signature.kind == "prometheus" else {}
            hit = _score(service, matched, signature, operated)
            if hit is not None:
                found.append(hit)
    found.extend(_unserved_operator_resources(prometheuses, found))
    found.sort(key=lambda s: (s.namespace, s.name, s.kind))
    return found


def _meta(obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return {}
    return {k: v for k, v in meta.items() if isinstance(k, str) and isinstance(v, str)}


def _score(
    service: Mapping[str, Any],
    workloads: list[Workload],
    signature: _Signature,
    operated: Mapping[str, list[str]],
) -> DiscoveredService | None:
    meta = _meta(service)
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    where = f"service {namespace}/{name}"
    evidence: list[str] = []
    version: str | None = None

    strong = 0.0
    for workload in workloads:
        for image in workload.images:
            repository, tag = image_repository(image)
            if repository.rpartition("/")[2] in signature.images:
                evidence.append(f"image {image} in {workload.describe()}")
                version = version or tag
                strong = max(strong, 0.8)
    operator = _operator_evidence(service, workloads, operated.get(namespace, []))
    if operator:
        evidence.extend(operator)
        strong = max(strong, 0.9)

    labels = _label_evidence(service, workloads, signature)
    port, port_evidence = _pick_port(service, workloads, signature)
    evidence.extend(labels)
    if port_evidence:
        evidence.append(f"{port_evidence} on {where}")
    if strong:
        confidence = strong + (0.1 if labels else 0.0) + (0.05 if port_evidence else 0.0)
    elif labels and port_evidence and not any(w.images for w in workloads):
        # Without visible containers, matching labels and port are weak evidence; when
        # the containers are visible and none runs the product, they are contradicted.
        confidence = 0.4
    else:
        return None
    return DiscoveredService(
        kind=signature.kind,
        namespace=namespace,
        name=name,
        uid=meta.get("uid"),
        url=f"http://{name}.{namespace}.svc:{port}",
        port=port,
        confidence=round(min(confidence, 0.99), 2),
        evidence=tuple(dict.fromkeys(evidence)),
        version=version,
    )


def _operator_evidence(
    service: Mapping[str, Any], workloads: list[Workload], resources: list[str]
) -> list[str]:
    if not resources:
        return []
    meta = _meta(service)
    namespace = meta.get("namespace", "")
    named = ", ".join(f"{namespace}/{r}" for r in sorted(resources))
    evidence = []
    if meta.get("name") == OPERATED_SERVICE:
        evidence.append(
            f"governing service of Prometheus Operator resource(s) {named} "
            "(monitoring.coreos.com/v1)"
        )
    spec = service.get("spec")
    selector = str_map(spec.get("selector") if isinstance(spec, Mapping) else None)
    for key in ("operator.prometheus.io/name", "prometheus"):
        if selector.get(key) in resources:
            evidence.append(
                f"selects the pods of Prometheus resource {namespace}/{selector[key]} "
                f"({key}={selector[key]})"
            )
    for workload in workloads:
        if workload.owner_kind == "Prometheus" and workload.owner_name in resources:
            evidence.append(
                f"{workload.describe()} is managed by Prometheus resource "
                f"{namespace}/{workload.owner_name}"
            )
    return evidence


def _label_evidence(
    service: Mapping[str, Any], workloads: list[Workload], signature: _Signature
) -> list[str]:
    meta = service.get("metadata")
    sources: list[tuple[str, dict[str, str]]] = [
        (
            f"service {_meta(service).get('namespace', '')}/{_meta(service).get('name', '')}",
            str_map(meta.get("labels") if isinstance(meta, Mapping) else None),
        ),
    ]
    sources.extend((f"the pod template of {w.describe()}", w.labels) for w in workloads)
    evidence = []
    for where, labels in sources:
        for key in LABEL_KEYS:
            value = labels.get(key)
            if value is not None and value.lower() in signature.label_values:
                evidence.append(f"label {key}={value} on {where}")
    return evidence


def _pick_port(
    service: Mapping[str, Any], workloads: list[Workload], signature: _Signature
) -> tuple[int, str]:
    """The service port to reach the product on, and the port evidence ("" if none)."""
    spec = service.get("spec")
    ports = spec.get("ports") if isinstance(spec, Mapping) else None
    container_ports: dict[str, int] = {}
    for workload in workloads:
        container_ports.update(workload.named_ports)
    candidates: list[tuple[int, int, str]] = []
    for entry in ports if isinstance(ports, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("port"), int):
            continue
        number: int = entry["port"]
        name = entry.get("name") if isinstance(entry.get("name"), str) else ""
        target = entry.get("targetPort", number)
        if isinstance(target, str):
            target = container_ports.get(target, target)
        shown = f"port {number}" + (f" ({name})" if name else "")
        if number == signature.port or target == signature.port:
            candidates.append((0, number, f"{shown} -> {signature.port}"))
        elif name in signature.port_names or target in signature.port_names:
            candidates.append((1, number, ""))
        else:
            candidates.append((2, number, ""))
    if not candidates:
        return signature.port, ""
    best = min(candidates, key=lambda c: c[0])
    return best[1], best[2]


def _unserved_operator_resources(
    prometheuses: Mapping[str, list[str]], found: list[DiscoveredService]
) -> list[DiscoveredService]:
    """Prometheus resources whose ``prometheus-operated`` Service has not been observed yet."""
    seen = {(s.namespace, s.name) for s in found if s.kind == "prometheus"}
    missing = []
    for namespace, names in sorted(prometheuses.items()):
        if (namespace, OPERATED_SERVICE) in seen:
            continue
        named = ", ".join(f"{namespace}/{n}" for n in sorted(names))
        missing.append(
            DiscoveredService(
                kind="prometheus",
                namespace=namespace,
                name=OPERATED_SERVICE,
                uid=None,
                url=f"http://{OPERATED_SERVICE}.{namespace}.svc:9090",
                port=9090,
                confidence=0.7,
                evidence=(
                    f"Prometheus Operator resource(s) {named} (monitoring.coreos.com/v1); "
                    f"the operator serves them as {OPERATED_SERVICE}, not yet observed",
                ),
            )
        )
    return missing
