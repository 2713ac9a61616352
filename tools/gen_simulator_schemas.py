"""Regenerate the simulator's built-in schema catalogue (``simulator/schemas/builtin.json``).

Reads the typed models of the installed ``kubernetes_asyncio`` client (the Kubernetes
OpenAPI definitions as Python classes: property types, JSON names, required fields,
descriptions; the definitions' own descriptions from the official ``kubernetes``
client's models) for every built-in kind the simulator serves, adds the patch strategies
and merge keys of the Kubernetes Go types (which the models do not carry), and writes
one compact JSON document::

    {"kinds": {"apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment", ...},
     "defs": {"io.k8s.api.apps.v1.Deployment":
                {"d": "description", "r": ["required", ...],
                 "p": {"spec": ["#io.k8s.api.apps.v1.DeploymentSpec", "description",
                                "mergeKey", "strategy"], ...}}}}

Types are ``s`` string, ``i`` integer, ``n`` number, ``b`` boolean, ``t`` date-time,
``o`` any value, ``#Name`` a definition, ``[T`` a list of T and ``{T`` a map of T.

Run: ``/work/venv/bin/python tools/gen_simulator_schemas.py``.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

from kubernetes_asyncio.client import models

try:
    from kubernetes.client import models as official_models
except ImportError:  # the descriptions of definitions are then left out
    official_models = None

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphql_server.simulator.catalogue import BUILTIN_RESOURCES  # noqa: E402

OUT = ROOT / "graphql_server" / "simulator" / "schemas" / "builtin.json"
DESCRIPTION_LIMIT = 400

PACKAGES = {
    "": "io.k8s.api.core",
    "apps": "io.k8s.api.apps",
    "batch": "io.k8s.api.batch",
    "networking.k8s.io": "io.k8s.api.networking",
    "rbac.authorization.k8s.io": "io.k8s.api.rbac",
    "storage.k8s.io": "io.k8s.api.storage",
    "autoscaling": "io.k8s.api.autoscaling",
    "policy": "io.k8s.api.policy",
    "coordination.k8s.io": "io.k8s.api.coordination",
    "discovery.k8s.io": "io.k8s.api.discovery",
    "scheduling.k8s.io": "io.k8s.api.scheduling",
    "authorization.k8s.io": "io.k8s.api.authorization",
    "authentication.k8s.io": "io.k8s.api.authentication",
    "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
}
META = "io.k8s.apimachinery.pkg.apis.meta"
META_TYPES = {
    "ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference",
    "ManagedFieldsEntry", "Condition", "Status", "StatusDetails", "StatusCause",
    "DeleteOptions", "Preconditions", "APIResource", "APIResourceList",
}  # fmt: skip

# Extra kinds served outside the storage catalogue (subresources and reviews).
EXTRA_KINDS = (
    ("autoscaling", "v1", "Scale"),
    ("authorization.k8s.io", "v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "v1", "SelfSubjectRulesReview"),
    ("authentication.k8s.io", "v1", "SelfSubjectReview"),
)

# The Go types' patch tags: (definition short name, property) -> (merge key, strategy).
PATCH = {
    ("PodSpec", "containers"): ("name", "merge"),
    ("PodSpec", "initContainers"): ("name", "merge"),
    ("PodSpec", "ephemeralContainers"): ("name", "merge"),
    ("PodSpec", "volumes"): ("name", "merge,retainKeys"),
    ("PodSpec", "imagePullSecrets"): ("name", "merge"),
    ("PodSpec", "hostAliases"): ("ip", "merge"),
    ("PodSpec", "topologySpreadConstraints"): ("topologyKey", "merge"),
    ("PodSpec", "resourceClaims"): ("name", "merge,retainKeys"),
    ("PodSpec", "schedulingGates"): ("name", "merge"),
    ("Container", "ports"): ("containerPort", "merge"),
    ("Container", "env"): ("name", "merge"),
    ("Container", "volumeMounts"): ("mountPath", "merge"),
    ("Container", "volumeDevices"): ("devicePath", "merge"),
    ("EphemeralContainer", "ports"): ("containerPort", "merge"),
    ("EphemeralContainer", "env"): ("name", "merge"),
    ("EphemeralContainer", "volumeMounts"): ("mountPath", "merge"),
    ("EphemeralContainer", "volumeDevices"): ("devicePath", "merge"),
    ("ServiceSpec", "ports"): ("port", "merge"),
    ("ServiceAccount", "secrets"): ("name", "merge"),
    ("ObjectMeta", "finalizers"): ("", "merge"),
    ("ObjectMeta", "ownerReferences"): ("uid", "merge"),
    ("DeploymentSpec", "strategy"): ("", "retainKeys"),
    ("DaemonSetSpec", "updateStrategy"): ("", "retainKeys"),
    ("NodeStatus", "addresses"): ("type", "merge"),
}
CONDITION_OWNERS = (
    "PodStatus", "NodeStatus", "DeploymentStatus", "ReplicaSetStatus", "StatefulSetStatus",
    "DaemonSetStatus", "JobStatus", "PersistentVolumeClaimStatus", "NamespaceStatus",
    "ServiceStatus", "HorizontalPodAutoscalerStatus", "PodDisruptionBudgetStatus",
    "CustomResourceDefinitionStatus",
)  # fmt: skip

_CLASS = re.compile(r"^(?:[A-Z][a-z]+)?V(\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$")
# Kinds whose model class carries its group's name (the client has two of them).
CLASS_NAMES = {"Event": "CoreV1Event"}


def short(cls_name: str) -> str:
    match = _CLASS.match(cls_name)
    return match.group(2) if match else cls_name


def version_of(cls_name: str) -> str:
    match = _CLASS.match(cls_name)
    return "v" + match.group(1) if match else "v1"


def describe(cls: type, attr: str) -> str:
    prop = getattr(cls, attr, None)
    doc = inspect.getdoc(prop) if isinstance(prop, property) else None
    if not doc:
        return ""
    parts = [p.replace("# noqa: E501", "").strip() for p in doc.split("\n\n")]
    text = parts[1] if len(parts) > 2 and not parts[1].startswith(":") else ""
    text = " ".join(text.split())
    if len(text) > DESCRIPTION_LIMIT:
        cut = text.rfind(". ", 0, DESCRIPTION_LIMIT)
        text = text[: cut + 1] if cut > 0 else text[:DESCRIPTION_LIMIT] + "..."
    return text


def class_description(cls: type) -> str:
    """A definition's own description: the asyncio models lack it, the official
    client's (the test extra) carry it as their docstring's first paragraph."""
    twin = getattr(official_models, cls.__name__, None) if official_models else None
    doc = inspect.getdoc(twin) or "" if twin is not None else ""
    first = doc.split("\n\n")[0].strip()
    return "" if first.startswith(("NOTE:", "Attributes:")) else " ".join(first.split())


class Generator:
    def __init__(self) -> None:
        self.defs: dict[str, dict[str, object]] = {}
        self.names: dict[str, str] = {}

    def name_of(self, cls_name: str, package: str) -> str:
        if cls_name not in self.names:
            base = short(cls_name)
            version = version_of(cls_name)
            pkg = META if base in META_TYPES else package
            self.names[cls_name] = f"{pkg}.{version}.{base}"
        return self.names[cls_name]

    def type_of(self, spec: str, package: str, queue: list[tuple[str, str]]) -> str:
        if spec.startswith("list["):
            return "[" + self.type_of(spec[5:-1], package, queue)
        if spec.startswith("dict("):
            return "{" + self.type_of(spec[spec.index(",") + 1 : -1].strip(), package, queue)
        simple = {"str": "s", "int": "i", "float": "n", "bool": "b", "datetime": "t",
                  "date": "t", "object": "o"}  # fmt: skip
        if spec in simple:
            return simple[spec]
        queue.append((spec, package))
        return "#" + self.name_of(spec, package)

    def add(self, cls_name: str, package: str) -> str:
        queue = [(cls_name, package)]
        first = self.name_of(cls_name, package)
        while queue:
            current, pkg = queue.pop()
            name = self.name_of(current, pkg)
            if name in self.defs:
                continue
            cls = getattr(models, current)
            source = inspect.getsource(cls)
            required = [
                cls.attribute_map[a]
                for a in cls.openapi_types
                if f"Invalid value for `{a}`, must not be `None`" in source
            ]
            props: dict[str, list[str]] = {}
            base = short(current)
            for attr, spec in cls.openapi_types.items():
                json_name = cls.attribute_map[attr]
                entry = [self.type_of(spec, pkg, queue), describe(cls, attr)]
                patch = PATCH.get((base, json_name))
                if patch is None and json_name == "conditions" and base in CONDITION_OWNERS:
                    patch = ("type", "merge")
                if patch is not None:
                    entry += list(patch)
                props[json_name] = entry
            definition: dict[str, object] = {"d": class_description(cls), "p": props}
            if required:
                definition["r"] = required
            self.defs[name] = definition
        return first


def main() -> None:
    generator = Generator()
    kinds: dict[str, str] = {}
    wanted = [(r.group, r.version, r.kind) for r in BUILTIN_RESOURCES] + list(EXTRA_KINDS)
    for group, version, kind in wanted:
        cls_name = CLASS_NAMES.get(kind, version[0].upper() + version[1:] + kind)
        package = f"{PACKAGES[group]}.{version}"
        generator.names.setdefault(cls_name, f"{package}.{kind}")
        api_version = f"{group}/{version}" if group else version
        kinds[f"{api_version}/{kind}"] = generator.add(cls_name, PACKAGES[group])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = {"kinds": kinds, "defs": dict(sorted(generator.defs.items()))}
    OUT.write_text(json.dumps(doc, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"{OUT}: {len(kinds)} kinds, {len(generator.defs)} definitions, "
          f"{OUT.stat().st_size} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
