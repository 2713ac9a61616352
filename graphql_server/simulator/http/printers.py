"""Per-kind columns of server-side printing, as kubectl shows them.

Owns the columns the apiserver's printers give common built-in kinds (priority 1 for
the ``-o wide`` extras) and the cells computed from an object, and the columns of a
custom resource from its CRD's ``additionalPrinterColumns`` (JSONPath evaluated over
the object). Pure functions over decoded objects.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable
from typing import Any

Cells = Callable[[dict[str, Any]], list[Any]]
Column = tuple[str, str, int]  # name, type, priority

NONE = "<none>"


def age(timestamp: Any) -> str:
    if not isinstance(timestamp, str):
        return "<unknown>"
    try:
        created = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return "<unknown>"
    seconds = max(0, int(time.time()) - created)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _get(obj: Any, *path: str) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _int(obj: Any, *path: str) -> int:
    value = _get(obj, *path)
    return value if isinstance(value, int) else 0


def _containers(obj: dict[str, Any], *path: str) -> list[dict[str, Any]]:
    spec = _get(obj, *path)
    found = spec.get("containers") if isinstance(spec, dict) else None
    return [c for c in found or [] if isinstance(c, dict)]


def selector_text(selector: Any) -> str:
    if not isinstance(selector, dict):
        return NONE
    terms = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(expr.get("values") or [])
        terms.append(f"{expr.get('key')} {str(expr.get('operator', '')).lower()} ({values})")
    return ",".join(terms) or NONE


def _workload_wide(template: tuple[str, ...], selector: bool = True) -> Cells:
    def cells(obj: dict[str, Any]) -> list[Any]:
        containers = _containers(obj, *template)
        out: list[Any] = [
            ",".join(str(c.get("name", "")) for c in containers),
            ",".join(str(c.get("image", "")) for c in containers),
        ]
        if selector:
            out.append(selector_text(_get(obj, "spec", "selector")))
        return out

    return cells


def _pod(obj: dict[str, Any]) -> list[Any]:
    statuses = [s for s in _get(obj, "status", "containerStatuses") or [] if isinstance(s, dict)]
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    phase = _get(obj, "status", "phase") or "Unknown"
    if _get(obj, "metadata", "deletionTimestamp"):
        phase = "Terminating"
    return [f"{ready}/{len(_containers(obj, 'spec'))}", phase, restarts]


def _pod_wide(obj: dict[str, Any]) -> list[Any]:
    gates = _get(obj, "spec", "readinessGates") or []
    return [
        _get(obj, "status", "podIP") or NONE,
        _get(obj, "spec", "nodeName") or NONE,
        _get(obj, "status", "nominatedNodeName") or NONE,
        NONE if not gates else f"0/{len(gates)}",
    ]


def _ports(obj: dict[str, Any]) -> str:
    out = []
    for port in _get(obj, "spec", "ports") or []:
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        out.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(out) or NONE


def _external_ips(obj: dict[str, Any]) -> str:
    ips = list(_get(obj, "spec", "externalIPs") or [])
    for ingress in _get(obj, "status", "loadBalancer", "ingress") or []:
        ips.append(ingress.get("ip") or ingress.get("hostname"))
    if ips:
        return ",".join(str(i) for i in ips)
    if _get(obj, "spec", "type") == "LoadBalancer":
        return "<pending>"
    if _get(obj, "spec", "type") == "ExternalName":
        return str(_get(obj, "spec", "externalName") or NONE)
    return NONE


def _node(obj: dict[str, Any]) -> list[Any]:
    conditions = _get(obj, "status", "conditions") or []
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if ready is None:
        status = "Unknown"
    if _get(obj, "spec", "unschedulable"):
        status += ",SchedulingDisabled"
    prefix = "node-role.kubernetes.io/"
    labels = _get(obj, "metadata", "labels") or {}
    roles = sorted(k[len(prefix) :] for k in labels if k.startswith(prefix))
    return [status, ",".join(roles) or NONE]


def _address(obj: dict[str, Any], kind: str) -> str:
    for address in _get(obj, "status", "addresses") or []:
        if address.get("type") == kind:
            return str(address.get("address"))
    return NONE


def _job_status(obj: dict[str, Any]) -> str:
    for condition in _get(obj, "status", "conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in (
            "Complete", "Failed", "Suspended", "FailureTarget", "SuccessCriteriaMet"
        ):  # fmt: skip
            return str(condition["type"])
    return "Running"


def _duration(obj: dict[str, Any]) -> str:
    start, end = _get(obj, "status", "startTime"), _get(obj, "status", "completionTime")
    if not isinstance(start, str):
        return ""
    if not isinstance(end, str):
        return age(start)
    seconds = calendar.timegm(time.strptime(end, "%Y-%m-%dT%H:%M:%SZ")) - calendar.timegm(
        time.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
    )
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"


def _data_count(obj: dict[str, Any]) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


def _hpa(obj: dict[str, Any]) -> list[Any]:
    ref = _get(obj, "spec", "scaleTargetRef") or {}
    targets = []
    for metric in _get(obj, "spec", "metrics") or []:
        kind = str(metric.get("type", ""))
        source = metric.get(kind[:1].lower() + kind[1:]) or {}  # Resource -> resource
        target = source.get("target") or {}
        if target.get("averageUtilization") is not None:
            wanted = f"{target['averageUtilization']}%"
        else:
            wanted = str(target.get("averageValue") or target.get("value") or "<unknown>")
        name = f"{source['name']}: " if source.get("name") else ""
        targets.append(f"{name}<unknown>/{wanted}")
    return [
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        ", ".join(targets) or NONE,
        _get(obj, "spec", "minReplicas") or "<unset>",
        _int(obj, "spec", "maxReplicas"),
        _int(obj, "status", "currentReplicas"),
    ]


# kind -> (columns between Name and Age, cells, wide columns, wide cells)
PRINTERS: dict[str, tuple[list[Column], Cells, list[Column], Cells]] = {
    "Pod": (
        [("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "integer", 0)],
        _pod,
        [("IP", "string", 1), ("Node", "string", 1), ("Nominated Node", "string", 1),
         ("Readiness Gates", "string", 1)],
        _pod_wide,
    ),
    "Deployment": (
        [("Ready", "string", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0)],
        lambda o: [f"{_int(o, 'status', 'readyReplicas')}/{_int(o, 'spec', 'replicas')}",
                   _int(o, "status", "updatedReplicas"), _int(o, "status", "availableReplicas")],
        [("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        _workload_wide(("spec", "template", "spec")),
    ),
    "ReplicaSet": (
        [("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0)],
        lambda o: [_int(o, "spec", "replicas"), _int(o, "status", "replicas"),
                   _int(o, "status", "readyReplicas")],
        [("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        _workload_wide(("spec", "template", "spec")),
    ),
    "StatefulSet": (
        [("Ready", "string", 0)],
        lambda o: [f"{_int(o, 'status', 'readyReplicas')}/{_int(o, 'spec', 'replicas')}"],
        [("Containers", "string", 1), ("Images", "string", 1)],
        _workload_wide(("spec", "template", "spec"), selector=False),
    ),
    "DaemonSet": (
        [("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0),
         ("Up-to-date", "integer", 0), ("Available", "integer", 0),
         ("Node Selector", "string", 0)],
        lambda o: [_int(o, "status", "desiredNumberScheduled"),
                   _int(o, "status", "currentNumberScheduled"), _int(o, "status", "numberReady"),
                   _int(o, "status", "updatedNumberScheduled"),
                   _int(o, "status", "numberAvailable"),
                   ",".join(f"{k}={v}" for k, v in
                            (_get(o, "spec", "template", "spec", "nodeSelector") or {}).items())
                   or NONE],
        [("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        _workload_wide(("spec", "template", "spec")),
    ),
    "Job": (
        [("Status", "string", 0), ("Completions", "string", 0), ("Duration", "string", 0)],
        lambda o: [_job_status(o),
                   f"{_int(o, 'status', 'succeeded')}/{_get(o, 'spec', 'completions') or 1}",
                   _duration(o)],
        [("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        _workload_wide(("spec", "template", "spec")),
    ),
    "CronJob": (
        [("Schedule", "string", 0), ("Timezone", "string", 0), ("Suspend", "boolean", 0),
         ("Active", "integer", 0), ("Last Schedule", "string", 0)],
        lambda o: [_get(o, "spec", "schedule") or "", _get(o, "spec", "timeZone") or NONE,
                   bool(_get(o, "spec", "suspend")), len(_get(o, "status", "active") or []),
                   age(_get(o, "status", "lastScheduleTime"))
                   if _get(o, "status", "lastScheduleTime") else NONE],
        [("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        _workload_wide(("spec", "jobTemplate", "spec", "template", "spec")),
    ),
    "Service": (
        [("Type", "string", 0), ("Cluster-IP", "string", 0), ("External-IP", "string", 0),
         ("Port(s)", "string", 0)],
        lambda o: [_get(o, "spec", "type") or "ClusterIP", _get(o, "spec", "clusterIP") or NONE,
                   _external_ips(o), _ports(o)],
        [("Selector", "string", 1)],
        lambda o: [",".join(f"{k}={v}" for k, v in (_get(o, "spec", "selector") or {}).items())
                   or NONE],
    ),
    "Node": (
        [("Status", "string", 0), ("Roles", "string", 0)],
        _node,
        [("Internal-IP", "string", 1), ("External-IP", "string", 1), ("OS-Image", "string", 1),
         ("Kernel-Version", "string", 1), ("Container-Runtime", "string", 1)],
        lambda o: [_address(o, "InternalIP"), _address(o, "ExternalIP"),
                   _get(o, "status", "nodeInfo", "osImage") or "<unknown>",
                   _get(o, "status", "nodeInfo", "kernelVersion") or "<unknown>",
                   _get(o, "status", "nodeInfo", "containerRuntimeVersion") or "<unknown>"],
    ),
    "HorizontalPodAutoscaler": (
        [("Reference", "string", 0), ("Targets", "string", 0), ("MinPods", "string", 0),
         ("MaxPods", "integer", 0), ("Replicas", "integer", 0)],
        _hpa, [], lambda o: [],
    ),
    "Namespace": ([("Status", "string", 0)], lambda o: [_get(o, "status", "phase") or ""],
                  [], lambda o: []),
    "ConfigMap": ([("Data", "integer", 0)], lambda o: [_data_count(o)], [], lambda o: []),
    "Secret": ([("Type", "string", 0), ("Data", "integer", 0)],
               lambda o: [o.get("type") or "", _data_count(o)], [], lambda o: []),
}  # fmt: skip

# Node's Version column comes after Age, as kubectl prints it.
AFTER_AGE: dict[str, tuple[list[Column], Cells]] = {
    "Node": (
        [("Version", "string", 0)],
        lambda o: [_get(o, "status", "nodeInfo", "kubeletVersion") or ""],
    ),
}

_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\?\(@\.([\w.-]+)\s*==\s*[\"']([^\"']*)[\"']\)\]")


def json_path(obj: Any, path: str) -> Any:
    """A CRD printer column's simple JSONPath (fields, indexes, ``?(@.k=="v")``)."""
    current: list[Any] = [obj]
    for match in _STEP.finditer(path.strip().removeprefix("{").removesuffix("}")):
        field, index, key, value = match.groups()
        found: list[Any] = []
        for node in current:
            if field is not None and isinstance(node, dict) and field in node:
                found.append(node[field])
            elif index is not None and isinstance(node, list) and int(index) < len(node):
                found.append(node[int(index)])
            elif key is not None and isinstance(node, list):
                found += [i for i in node if isinstance(i, dict) and str(i.get(key)) == value]
        current = found
    return current[0] if current else None


def crd_columns(crd: dict[str, Any], version: str) -> list[dict[str, Any]] | None:
    for entry in (crd.get("spec") or {}).get("versions") or []:
        if isinstance(entry, dict) and entry.get("name") == version:
            columns = entry.get("additionalPrinterColumns")
            return [c for c in columns if isinstance(c, dict)] if columns else None
    return None


def crd_cell(column: dict[str, Any], obj: dict[str, Any]) -> Any:
    value = json_path(obj, str(column.get("jsonPath", "")))
    if value is None:
        return None
    if column.get("type") == "date":
        return age(value)
    if isinstance(value, (dict, list)):
        return str(value)
    return value
