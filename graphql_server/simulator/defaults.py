"""Defaults the apiserver fills into common built-in kinds on every write.

Owns the defaulting of the Kubernetes API types the simulator's users write most
(pods and pod templates, their containers and ports, workloads, services, secrets),
with the values the Kubernetes API reference documents. Defaults never overwrite a
value the client set.
"""

from __future__ import annotations

from typing import Any

_WORKLOADS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob")


def _container(container: Any) -> None:
    if not isinstance(container, dict):
        return
    image = str(container.get("image") or "")
    tagged = ":" in image.rpartition("/")[2] and not image.endswith(":latest")
    container.setdefault("imagePullPolicy", "IfNotPresent" if tagged or "@" in image else "Always")
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")


def pod_spec(spec: Any, in_template: bool = True) -> None:
    if not isinstance(spec, dict):
        return
    for field in ("containers", "initContainers"):
        for container in spec.get(field) or []:
            _container(container)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")


def _template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        pod_spec(template.get("spec"))


def apply_defaults(kind: str, obj: dict[str, Any]) -> None:
    """Fill ``obj`` (a new version of a ``kind`` object) with the server's defaults."""
    spec = obj.get("spec")
    if kind == "Secret":
        obj.setdefault("type", "Opaque")
    if not isinstance(spec, dict):
        return
    if kind == "Pod":
        pod_spec(spec)
    elif kind == "Service":
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                if "port" in port:
                    port.setdefault("targetPort", port["port"])
    elif kind in _WORKLOADS:
        if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
            spec.setdefault("replicas", 1)
            spec.setdefault("revisionHistoryLimit", 10)
        if kind == "Deployment":
            spec.setdefault("progressDeadlineSeconds", 600)
            strategy = spec.setdefault("strategy", {})
            if isinstance(strategy, dict):
                strategy.setdefault("type", "RollingUpdate")
                if strategy["type"] == "RollingUpdate":
                    strategy.setdefault(
                        "rollingUpdate", {"maxUnavailable": "25%", "maxSurge": "25%"}
                    )
        if kind == "CronJob":
            spec.setdefault("concurrencyPolicy", "Allow")
            spec.setdefault("suspend", False)
            spec.setdefault("successfulJobsHistoryLimit", 3)
            spec.setdefault("failedJobsHistoryLimit", 1)
            job = (spec.get("jobTemplate") or {}).get("spec")
            if isinstance(job, dict):
                _template(job)
        else:
            _template(spec)
