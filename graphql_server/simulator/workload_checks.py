"""Checks of pods and workloads beyond their schema, as the apiserver's validation makes.

Owns the semantic rules of the built-in kinds users write most that a schema cannot
say: every container of a pod or pod template names an image and has a name no other
container of the pod has, and a Deployment's, ReplicaSet's, StatefulSet's or
DaemonSet's selector matches its pod template's labels. Each failure is a (field path,
message) cause worded like the apiserver's. Pure functions over decoded objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql_server.simulator.selectors import SelectorError, parse_label_selector, selector_text

_SELECTED = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
# Where the pod spec of each kind is, as a path of keys.
_POD_SPECS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    **dict.fromkeys((*_SELECTED, "Job"), ("spec", "template", "spec")),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _at(obj: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _go_map(labels: dict[str, Any]) -> str:
    """A label map as Go's ``%#v`` prints it, which the apiserver's message quotes."""
    inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
    return f"map[string]string{{{inner}}}"


def _containers(spec: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for field in ("initContainers", "containers"):
        listed = spec.get(field)
        if field == "containers" and not listed:
            yield f"{path}.containers", "Required value"
        for index, container in enumerate(listed if isinstance(listed, list) else []):
            if not isinstance(container, dict):
                continue
            at = f"{path}.{field}[{index}]"
            name = container.get("name")
            if isinstance(name, str) and name:
                if name in seen:
                    yield f"{at}.name", f'Duplicate value: "{name}"'
                seen.add(name)
            if not container.get("image"):
                yield f"{at}.image", "Required value"


def _selector(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    selector = _at(obj, ("spec", "selector"))
    template = _at(obj, ("spec", "template"))
    if not isinstance(selector, dict) or not isinstance(template, dict):
        return
    labels = _at(template, ("metadata", "labels"))
    labels = labels if isinstance(labels, dict) else {}
    try:
        parsed = parse_label_selector(selector_text(selector))
    except SelectorError:
        return
    if parsed is not None and not parsed.matches(labels):
        shown = _go_map(labels)
        yield (
            "spec.template.metadata.labels",
            f"Invalid value: {shown}: `selector` does not match template `labels`",
        )


def workload_causes(kind: str, obj: dict[str, Any]) -> list[tuple[str, str]]:
    """Why ``obj`` of built-in ``kind`` is invalid beyond its schema (empty when valid)."""
    causes: list[tuple[str, str]] = []
    keys = _POD_SPECS.get(kind)
    if keys is not None:
        spec = _at(obj, keys)
        if isinstance(spec, dict):
            causes.extend(_containers(spec, ".".join(keys)))
    if kind in _SELECTED:
        causes.extend(_selector(obj))
    return causes
