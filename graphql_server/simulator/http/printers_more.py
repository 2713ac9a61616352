"""Columns of server-side printing for configuration, networking, storage, policy and RBAC
kinds (workloads, pods, services and nodes are in :mod:`printers`).

Owns the columns kubectl shows for service accounts, ingresses, endpoints, persistent
volumes and their claims, storage classes, disruption budgets, priority classes, leases,
network policies and role bindings, with ``-o wide`` extras at priority 1. Pure
functions over decoded objects.
"""

from __future__ import annotations

from typing import Any

from graphql_server.simulator.http.printers import NONE, Cells, Column, selector_text


def _get(obj: Any, *path: str) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _ingress(obj: dict[str, Any]) -> list[Any]:
    rules = _get(obj, "spec", "rules") or []
    hosts = ",".join(str(r.get("host") or "*") for r in rules) or "*"
    addresses = [
        str(i.get("ip") or i.get("hostname"))
        for i in _get(obj, "status", "loadBalancer", "ingress") or []
    ]
    ports = "80, 443" if _get(obj, "spec", "tls") else "80"
    return [_get(obj, "spec", "ingressClassName") or NONE, hosts, ",".join(addresses), ports]


def _endpoints(obj: dict[str, Any]) -> list[Any]:
    found = []
    for subset in obj.get("subsets") or []:
        for address in subset.get("addresses") or []:
            for port in subset.get("ports") or [{}]:
                found.append(f"{address.get('ip')}:{port.get('port')}" if port else address["ip"])
    shown = ",".join(found[:3])
    if len(found) > 3:
        shown += f" + {len(found) - 3} more..."
    return [shown or NONE]


def _claim(obj: dict[str, Any]) -> list[Any]:
    modes = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
             "ReadWriteOncePod": "RWOP"}  # fmt: skip
    access = ",".join(modes.get(m, m) for m in _get(obj, "status", "accessModes") or [])
    return [
        _get(obj, "status", "phase") or "Pending",
        _get(obj, "spec", "volumeName") or "",
        _get(obj, "status", "capacity", "storage") or "",
        access,
        _get(obj, "spec", "storageClassName") or NONE,
        _get(obj, "spec", "volumeAttributesClassName") or NONE,
    ]


def _volume(obj: dict[str, Any]) -> list[Any]:
    modes = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
             "ReadWriteOncePod": "RWOP"}  # fmt: skip
    claim = _get(obj, "spec", "claimRef") or {}
    return [
        _get(obj, "spec", "capacity", "storage") or "",
        ",".join(modes.get(m, m) for m in _get(obj, "spec", "accessModes") or []),
        _get(obj, "spec", "persistentVolumeReclaimPolicy") or "Retain",
        _get(obj, "status", "phase") or "Pending",
        f"{claim['namespace']}/{claim['name']}" if claim.get("name") else "",
        _get(obj, "spec", "storageClassName") or "",
        _get(obj, "spec", "volumeAttributesClassName") or NONE,
        _get(obj, "status", "reason") or "",
    ]


def _subjects(kind: str) -> Cells:
    def cells(obj: dict[str, Any]) -> list[Any]:
        names = []
        for subject in obj.get("subjects") or []:
            if subject.get("kind") == kind:
                name = str(subject.get("name", ""))
                if kind == "ServiceAccount":
                    name = f"{subject.get('namespace', '')}/{name}"
                names.append(name)
        return [",".join(names)]

    return cells


def _binding_wide(obj: dict[str, Any]) -> list[Any]:
    return [c for kind in ("User", "Group", "ServiceAccount") for c in _subjects(kind)(obj)]


_NO_WIDE: tuple[list[Column], Cells] = ([], lambda o: [])
_BINDING_WIDE = [("Users", "string", 1), ("Groups", "string", 1),
                 ("ServiceAccounts", "string", 1)]  # fmt: skip

# kind -> (columns between Name and Age, cells, wide columns, wide cells)
MORE_PRINTERS: dict[str, tuple[list[Column], Cells, list[Column], Cells]] = {
    "ServiceAccount": ([("Secrets", "integer", 0)], lambda o: [len(o.get("secrets") or [])],
                       *_NO_WIDE),
    "Ingress": ([("Class", "string", 0), ("Hosts", "string", 0), ("Address", "string", 0),
                 ("Ports", "string", 0)], _ingress, *_NO_WIDE),
    "Endpoints": ([("Endpoints", "string", 0)], _endpoints, *_NO_WIDE),
    "PersistentVolumeClaim": (
        [("Status", "string", 0), ("Volume", "string", 0), ("Capacity", "string", 0),
         ("Access Modes", "string", 0), ("StorageClass", "string", 0),
         ("VolumeAttributesClass", "string", 0)],
        _claim, [("VolumeMode", "string", 1)],
        lambda o: [_get(o, "spec", "volumeMode") or "Filesystem"],
    ),
    "PersistentVolume": (
        [("Capacity", "string", 0), ("Access Modes", "string", 0),
         ("Reclaim Policy", "string", 0), ("Status", "string", 0), ("Claim", "string", 0),
         ("StorageClass", "string", 0), ("VolumeAttributesClass", "string", 0),
         ("Reason", "string", 0)],
        _volume, [("VolumeMode", "string", 1)],
        lambda o: [_get(o, "spec", "volumeMode") or "Filesystem"],
    ),
    "StorageClass": (
        [("Provisioner", "string", 0), ("ReclaimPolicy", "string", 0),
         ("VolumeBindingMode", "string", 0), ("AllowVolumeExpansion", "string", 0)],
        lambda o: [o.get("provisioner", ""), o.get("reclaimPolicy") or "Delete",
                   o.get("volumeBindingMode") or "Immediate",
                   str(bool(o.get("allowVolumeExpansion"))).lower()],
        *_NO_WIDE,
    ),
    "PodDisruptionBudget": (
        [("Min Available", "string", 0), ("Max Unavailable", "string", 0),
         ("Allowed Disruptions", "integer", 0)],
        lambda o: [str(_get(o, "spec", "minAvailable") or "N/A"),
                   str(_get(o, "spec", "maxUnavailable") or "N/A"),
                   _get(o, "status", "disruptionsAllowed") or 0],
        *_NO_WIDE,
    ),
    "Lease": ([("Holder", "string", 0)],
              lambda o: [_get(o, "spec", "holderIdentity") or ""], *_NO_WIDE),
    "NetworkPolicy": ([("Pod-Selector", "string", 0)],
                      lambda o: [selector_text(_get(o, "spec", "podSelector"))], *_NO_WIDE),
    "PriorityClass": ([("Value", "integer", 0), ("Global-Default", "boolean", 0)],
                      lambda o: [o.get("value", 0), bool(o.get("globalDefault"))], *_NO_WIDE),
    "RoleBinding": ([("Role", "string", 0)],
                    lambda o: [f"{_get(o, 'roleRef', 'kind')}/{_get(o, 'roleRef', 'name')}"],
                    _BINDING_WIDE, _binding_wide),
    "ClusterRoleBinding": ([("Role", "string", 0)],
                           lambda o: [f"ClusterRole/{_get(o, 'roleRef', 'name')}"],
                           _BINDING_WIDE, _binding_wide),
}  # fmt: skip

# Kinds whose printer puts columns after Age (kubectl's order).
MORE_AFTER_AGE: dict[str, tuple[list[Column], Cells]] = {
    "PriorityClass": (
        [("PreemptionPolicy", "string", 0)],
        lambda o: [o.get("preemptionPolicy") or "PreemptLowerPriority"],
    ),
}
