"""The ``scale`` subresource: which types have one, and the ``autoscaling/v1`` Scale view.

Owns where replicas live for each scalable type (Deployments, ReplicaSets and
StatefulSets; custom resources whose CRD version declares ``subresources.scale``),
rendering an object as its Scale, and the merge patch that sets the replicas a Scale
asks for. Pure functions over decoded objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.selectors import selector_text

SCALE_VERBS = ("get", "patch", "update")
_BUILTIN = ("deployments.apps", "replicasets.apps", "statefulsets.apps")


@dataclass(frozen=True, slots=True)
class ScalePaths:
    spec_replicas: str
    status_replicas: str
    label_selector: str | None


def scale_paths(rtype: ResourceType, crd: dict[str, Any] | None) -> ScalePaths | None:
    """Where ``rtype`` keeps its replicas; None when it has no scale subresource."""
    if rtype.key in _BUILTIN and crd is None:
        return ScalePaths(".spec.replicas", ".status.replicas", None)
    if crd is None:
        return None
    for version in (crd.get("spec") or {}).get("versions") or []:
        if isinstance(version, dict) and version.get("name") == rtype.version:
            scale = (version.get("subresources") or {}).get("scale")
            if isinstance(scale, dict) and isinstance(scale.get("specReplicasPath"), str):
                return ScalePaths(
                    scale["specReplicasPath"],
                    str(scale.get("statusReplicasPath") or ".status.replicas"),
                    scale.get("labelSelectorPath"),
                )
    return None


def _parts(path: str) -> list[str]:
    return [p for p in path.split(".") if p]


def _read(obj: Any, path: str) -> Any:
    for part in _parts(path):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def to_scale(obj: dict[str, Any], paths: ScalePaths) -> dict[str, Any]:
    meta = obj["metadata"]
    kept = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
    selector = (
        _read(obj, paths.label_selector)
        if paths.label_selector
        else (obj.get("spec") or {}).get("selector")
    )
    status: dict[str, Any] = {"replicas": int(_read(obj, paths.status_replicas) or 0)}
    text = selector_text(selector)
    if text:
        status["selector"] = text
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in kept if k in meta},
        "spec": {"replicas": int(_read(obj, paths.spec_replicas) or 0)},
        "status": status,
    }


def replicas_patch(paths: ScalePaths, replicas: int) -> dict[str, Any]:
    """A merge patch setting the replicas at ``paths.spec_replicas``."""
    patch: dict[str, Any] = {}
    node = patch
    parts = _parts(paths.spec_replicas)
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = replicas
    return patch
