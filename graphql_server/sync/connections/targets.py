"""What a change asks service discovery to evaluate, and what one evaluation saw.

``Targets`` gathers, per namespace, the Services that changed, the pod labels of the
workloads that changed, or "every Service"; ``Round`` holds one evaluation's view of
a cluster's DISCOVERED connections and what it found. ``mentions_product`` is the
cheap test that keeps changes which cannot matter from costing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from graphql_server.registry.workloads import str_map
from graphql_server.store.connections import ConnectionRecord

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
# Every kind of evidence names its product: an image, a label value, a Prometheus owner.
WORDS = ("prometheus", "grafana")


def mentions_product(resource: Mapping[str, Any]) -> bool:
    """Whether a stored object's spec, labels or owners name a product fingerprinted."""
    text = orjson.dumps(
        [resource.get("spec"), resource.get("labels"), resource.get("owner_references")]
    ).lower()
    return any(word.encode() in text for word in WORDS)


def selector_of(obj: Mapping[str, Any]) -> dict[str, str]:
    spec = obj.get("spec")
    return str_map(spec.get("selector") if isinstance(spec, Mapping) else None)


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["uid"])


def name_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def template_labels(resource: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    spec = resource.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    meta = template.get("metadata") if isinstance(template, Mapping) else None
    return frozenset(str_map(meta.get("labels") if isinstance(meta, Mapping) else None).items())


@dataclass(slots=True)
class Targets:
    """What the next evaluation of one namespace covers."""

    names: set[str] = field(default_factory=set)  # Services that changed
    templates: set[frozenset[tuple[str, str]]] = field(default_factory=set)  # workloads' pods
    every: bool = False  # every Service of the namespace

    def covers(self, service: Mapping[str, Any]) -> bool:
        """Whether the Service is to be evaluated (its name aside)."""
        if self.every:
            return True
        selector = selector_of(service).items()
        return bool(selector) and any(selector <= template for template in self.templates)


@dataclass(slots=True)
class Round:
    """One evaluation of some namespaces of a cluster: what it saw and what it found."""

    cluster_id: str
    complete: bool
    discovered: dict[tuple[str, str, str], ConnectionRecord]  # (kind, namespace, name)
    evaluated: set[tuple[str, str]] = field(default_factory=set)  # (namespace, name)
    seen: set[tuple[str, str, str]] = field(default_factory=set)

    def found_in(self, namespace: str) -> set[str]:
        """Names of the Services of ``namespace`` found (DISCOVERED) before this round."""
        return {name for _, where, name in self.discovered if where == namespace}
