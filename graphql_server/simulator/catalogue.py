"""The resource types a simulated cluster serves.

Owns the built-in catalogue of Kubernetes kinds the simulator serves, as
:class:`~graphql_server.kube.resource_types.ResourceType` values (the project's
one definition, re-exported here with its vocabulary). It holds data only: no
objects, no I/O. Other packages may enumerate :data:`BUILTIN_RESOURCES`.
"""

from __future__ import annotations

from functools import partial

from graphql_server.kube.resource_types import (
    ALL_VERBS,
    NAME_DNS1035,
    NAME_LABEL,
    NAME_PATH,
    NAME_SUBDOMAIN,
    STATUS_VERBS,
    ResourceType,
)

__all__ = [
    "ALL_VERBS",
    "BUILTIN_RESOURCES",
    "CRD_GROUP",
    "CRD_PLURAL",
    "NAME_DNS1035",
    "NAME_LABEL",
    "NAME_PATH",
    "NAME_SUBDOMAIN",
    "STATUS_VERBS",
    "ResourceType",
    "builtin_by_key",
    "builtin_catalogue",
]


def _grouped(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool,
    short: tuple[str, ...] = (),
    *,
    status: bool = False,
    name_rule: str = NAME_SUBDOMAIN,
    categories: tuple[str, ...] = (),
    storage_version: str = "",
) -> ResourceType:
    return ResourceType(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        has_status=status,
        name_rule=name_rule,
        storage_version=storage_version,
    )


# A type of the core group (``/api/v1``).
_core = partial(_grouped, "", "v1")

_ALL = ("all",)
_RBAC = "rbac.authorization.k8s.io"

BUILTIN_RESOURCES: tuple[ResourceType, ...] = (
    _core("Namespace", "namespaces", False, ("ns",), status=True, name_rule=NAME_LABEL),
    _core("Node", "nodes", False, ("no",), status=True),
    _core("Pod", "pods", True, ("po",), status=True, categories=_ALL),
    _core("Service", "services", True, ("svc",), status=True, name_rule=NAME_DNS1035,
          categories=_ALL),
    _core("Endpoints", "endpoints", True, ("ep",)),
    _core("ConfigMap", "configmaps", True, ("cm",)),
    _core("Secret", "secrets", True),
    _core("ServiceAccount", "serviceaccounts", True, ("sa",)),
    _core("PersistentVolume", "persistentvolumes", False, ("pv",), status=True),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), status=True),
    _core("Event", "events", True, ("ev",)),
    _grouped("apps", "v1", "Deployment", "deployments", True, ("deploy",), status=True,
             categories=_ALL),
    _grouped("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), status=True,
             categories=_ALL),
    _grouped("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), status=True,
             categories=_ALL),
    _grouped("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), status=True,
             categories=_ALL),
    _grouped("batch", "v1", "Job", "jobs", True, status=True, categories=_ALL),
    _grouped("batch", "v1", "CronJob", "cronjobs", True, ("cj",), status=True,
             categories=_ALL),
    _grouped("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), status=True),
    _grouped("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _grouped("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    _grouped(_RBAC, "v1", "Role", "roles", True, name_rule=NAME_PATH),
    _grouped(_RBAC, "v1", "RoleBinding", "rolebindings", True, name_rule=NAME_PATH),
    _grouped(_RBAC, "v1", "ClusterRole", "clusterroles", False, name_rule=NAME_PATH),
    _grouped(_RBAC, "v1", "ClusterRoleBinding", "clusterrolebindings", False,
             name_rule=NAME_PATH),
    _grouped("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    _grouped("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True,
             ("hpa",), status=True, categories=_ALL),
    # Served from the v2 storage through simulator.conversion.
    _grouped("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True,
             ("hpa",), status=True, categories=_ALL, storage_version="v2"),
    _grouped("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",),
             status=True),
    _grouped("coordination.k8s.io", "v1", "Lease", "leases", True),
    _grouped("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    _grouped("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",)),
    _grouped("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
             "customresourcedefinitions", False, ("crd", "crds"), status=True),
)  # fmt: skip

CRD_GROUP = "apiextensions.k8s.io"
CRD_PLURAL = "customresourcedefinitions"


def builtin_catalogue() -> tuple[ResourceType, ...]:
    """Every built-in resource type the simulator serves."""
    return BUILTIN_RESOURCES


def builtin_by_key() -> dict[str, ResourceType]:
    """The built-in resource types by ``plural.group`` key."""
    return {rtype.key: rtype for rtype in BUILTIN_RESOURCES}
