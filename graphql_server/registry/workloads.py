"""Pod-running objects as service fingerprinting sees them: labels, images, ports, owner.

Owns reading raw workload dicts (Deployments, StatefulSets, DaemonSets, ReplicaSets,
ReplicationControllers, Pods) into ``Workload`` records, matching a Service selector
against their pod labels (through an index by label, so that a namespace of many
Services and workloads costs what it holds, not their product), and splitting image
references. Tolerates any malformed
field by ignoring it. Must not decide what a workload is; ``services`` does that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TEMPLATED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
)


@dataclass(frozen=True, slots=True)
class Workload:
    kind: str
    namespace: str
    name: str
    labels: dict[str, str]
    images: tuple[str, ...]
    named_ports: dict[str, int]
    owner_kind: str | None = None
    owner_name: str | None = None

    @property
    def is_pod(self) -> bool:
        return self.kind == "Pod"

    def describe(self) -> str:
        return f"{self.kind.lower()} {self.namespace}/{self.name}"


def str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def image_repository(image: str) -> tuple[str, str | None]:
    """``quay.io/prometheus/prometheus:v2.53.0`` -> (``prometheus/prometheus``, ``v2.53.0``).

    Drops the registry host (a first segment with a dot or port, or ``localhost``), Docker
    Hub's ``library/`` prefix and any digest; the tag is None when only a digest is given.
    """
    name = image.strip().partition("@")[0]
    tag = None
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :] or None
    parts = [part for part in name.split("/") if part]
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts).lower(), tag


def _from_pod_spec(
    kind: str, meta: Mapping[str, Any], labels: dict[str, str], pod_spec: Mapping[str, Any]
) -> Workload:
    images: list[str] = []
    ports: dict[str, int] = {}
    containers = pod_spec.get("containers")
    for container in containers if isinstance(containers, list) else []:
        container = _mapping(container)
        if isinstance(container.get("image"), str):
            images.append(container["image"])
        container_ports = container.get("ports")
        for port in container_ports if isinstance(container_ports, list) else []:
            port = _mapping(port)
            if isinstance(port.get("name"), str) and isinstance(port.get("containerPort"), int):
                ports[port["name"]] = port["containerPort"]
    owner_kind = owner_name = None
    owners = meta.get("ownerReferences")
    for owner in owners if isinstance(owners, list) else []:
        owner = _mapping(owner)
        if isinstance(owner.get("kind"), str) and isinstance(owner.get("name"), str):
            owner_kind, owner_name = owner["kind"], owner["name"]
            if owner.get("controller") is True:
                break
    return Workload(
        kind=kind,
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        labels=labels,
        images=tuple(images),
        named_ports=ports,
        owner_kind=owner_kind,
        owner_name=owner_name,
    )


def collect_workloads(objects: Iterable[Mapping[str, Any]]) -> list[Workload]:
    """Workloads and pods; ReplicaSets are left out when their Deployment is present."""
    found: list[Workload] = []
    for obj in objects:
        kind = obj.get("kind")
        meta = _mapping(obj.get("metadata"))
        spec = _mapping(obj.get("spec"))
        if kind in TEMPLATED_KINDS:
            template = _mapping(spec.get("template"))
            labels = str_map(_mapping(template.get("metadata")).get("labels"))
            found.append(_from_pod_spec(str(kind), meta, labels, _mapping(template.get("spec"))))
        elif kind == "Pod":
            found.append(_from_pod_spec("Pod", meta, str_map(meta.get("labels")), spec))
    deployments = {(w.namespace, w.name) for w in found if w.kind == "Deployment"}
    return [
        w
        for w in found
        if not (
            w.kind == "ReplicaSet"
            and w.owner_kind == "Deployment"
            and (w.namespace, w.owner_name) in deployments
        )
    ]


class WorkloadIndex:
    """Workloads by namespace and pod label: a Service's matches without scanning them all."""

    def __init__(self, workloads: Iterable[Workload]) -> None:
        self._by_label: dict[tuple[str, str, str], list[Workload]] = {}
        for workload in workloads:
            for key, value in workload.labels.items():
                self._by_label.setdefault((workload.namespace, key, value), []).append(workload)

    def matching(self, service: Mapping[str, Any]) -> list[Workload]:
        """Workloads whose pod template labels the Service selects; pods only if none match."""
        meta = _mapping(service.get("metadata"))
        namespace = str(meta.get("namespace", ""))
        selector = str_map(_mapping(service.get("spec")).get("selector"))
        if not selector:
            return []
        candidates = min(
            (self._by_label.get((namespace, key, value), []) for key, value in selector.items()),
            key=len,
        )
        selected = [w for w in candidates if all(w.labels.get(k) == v for k, v in selector.items())]
        templated = [w for w in selected if not w.is_pod]
        return templated or [w for w in selected if w.is_pod]
