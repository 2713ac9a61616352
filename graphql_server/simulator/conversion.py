"""Conversion between the API versions of a built-in kind stored in another version.

Owns rewriting an object from one ``apiVersion`` to another: for most kinds only the
``apiVersion`` changes (custom resources with conversion ``None``, kinds whose versions
share a schema); kinds whose versions differ in shape have a converter here
(``autoscaling/v1`` and ``v2`` HorizontalPodAutoscalers, v1 being served from v2
storage, as real servers do). Pure functions over decoded objects and JSON bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson

Converter = Callable[[dict[str, Any]], dict[str, Any]]
HPA = "HorizontalPodAutoscaler"


def _cpu_target(metrics: Any) -> int | None:
    for metric in metrics or []:
        resource = metric.get("resource") if isinstance(metric, dict) else None
        target = (resource or {}).get("target") or {}
        if (
            metric.get("type") == "Resource"
            and (resource or {}).get("name") == "cpu"
            and target.get("type") == "Utilization"
        ):
            value = target.get("averageUtilization")
            return int(value) if isinstance(value, int) else None
    return None


def _hpa_v2_to_v1(obj: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if k not in ("spec", "status")}
    out["apiVersion"] = "autoscaling/v1"
    spec = obj.get("spec") or {}
    new_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    cpu = _cpu_target(spec.get("metrics"))
    if cpu is not None:
        new_spec["targetCPUUtilizationPercentage"] = cpu
    out["spec"] = new_spec
    if "status" in obj:
        status = obj.get("status") or {}
        kept = ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
        new_status = {k: status[k] for k in kept if k in status}
        for metric in status.get("currentMetrics") or []:
            current = ((metric.get("resource") or {}).get("current")) or {}
            if (metric.get("resource") or {}).get("name") == "cpu" and isinstance(
                current.get("averageUtilization"), int
            ):
                new_status["currentCPUUtilizationPercentage"] = current["averageUtilization"]
        out["status"] = new_status
    return out


def _hpa_v1_to_v2(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v2"
    spec = out.get("spec")
    if isinstance(spec, dict):
        cpu = spec.pop("targetCPUUtilizationPercentage", None)
        if cpu is not None:
            target = {"type": "Utilization", "averageUtilization": cpu}
            spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    status = out.get("status")
    if isinstance(status, dict):
        cpu = status.pop("currentCPUUtilizationPercentage", None)
        if cpu is not None:
            current = {"averageUtilization": cpu}
            status["currentMetrics"] = [
                {"type": "Resource", "resource": {"name": "cpu", "current": current}}
            ]
    return out


# (from apiVersion, to apiVersion, kind) -> converter
CONVERTERS: dict[tuple[str, str, str], Converter] = {
    ("autoscaling/v2", "autoscaling/v1", HPA): _hpa_v2_to_v1,
    ("autoscaling/v1", "autoscaling/v2", HPA): _hpa_v1_to_v2,
}
_PAIRS = {(a, b) for a, b, _ in CONVERTERS}


def converts(from_version: str, to_version: str) -> bool:
    return (from_version, to_version) in _PAIRS


def convert(obj: Any, to_version: str) -> Any:
    """``obj`` at ``to_version`` (a new dict when anything changes)."""
    if not isinstance(obj, dict):
        return obj
    from_version = str(obj.get("apiVersion") or "")
    converter = CONVERTERS.get((from_version, to_version, str(obj.get("kind") or "")))
    if converter is not None:
        return converter(obj)
    return obj


def rewrite(raw: bytes, stored: str, wanted: str) -> bytes:
    """Stored JSON bytes at ``stored`` as served at ``wanted``."""
    if stored == wanted:
        return raw
    if converts(stored, wanted):
        return orjson.dumps(convert(orjson.loads(raw), wanted))
    prefix = b'{"apiVersion":"' + stored.encode() + b'"'
    if raw.startswith(prefix):
        return b'{"apiVersion":"' + wanted.encode() + b'"' + raw[len(prefix) :]
    obj = orjson.loads(raw)
    obj["apiVersion"] = wanted
    return orjson.dumps(obj)
