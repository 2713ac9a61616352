"""Protobuf request bodies (``application/vnd.kubernetes.protobuf``) for built-in kinds.

kubectl 1.32+ sends the objects its ``create`` generators build (namespaces,
configmaps, secrets, deployments, services, service accounts, jobs, cronjobs, RBAC
roles and bindings, ingresses, priority classes, disruption budgets, autoscalers) and the
self-subject reviews of ``kubectl auth`` as protobuf, as it may
with any real apiserver. Owns decoding the ``k8s\\x00`` envelope (a
``runtime.Unknown``: type meta plus the raw message) and those kinds' messages into the
JSON form the rest of the simulator handles, following the field numbers of the
Kubernetes ``generated.proto`` files. Fields the JSON encoding would omit (empty
strings, zero numbers, false, an unset timestamp) are left out; unknown fields are
skipped. Kinds without a table are refused with 415, as real servers refuse protobuf
for custom resources.
"""

from __future__ import annotations

import base64
from typing import Any

from graphql_server.simulator.status import bad_request, unsupported_media_type

PROTOBUF = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

# Message tables: field number -> (JSON name, type). Types: "s" string, "i" integer,
# "b" bool, "B" bytes (base64 in JSON), "[T" repeated T, "{T" map of string to T, "^T" a
# message whose fields are inlined in its parent's JSON, or a message name; "!" keeps a
# zero value the JSON form does not omit. "IntOrString" and "Quantity" are the
# apimachinery special forms.
_F = dict[int, tuple[str, str]]
MESSAGES: dict[str, _F] = {
    "TypeMeta": {1: ("apiVersion", "s"), 2: ("kind", "s")},
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "B*"), 4: ("contentType", "s")},
    "ObjectMeta": {
        1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"),
        11: ("labels", "{s"), 12: ("annotations", "{s"), 14: ("finalizers", "[s"),
    },
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "[s")},
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"), 2: ("data", "{s"), 3: ("binaryData", "{B"),
        4: ("immutable", "b"),
    },
    "Secret": {
        1: ("metadata", "ObjectMeta"), 2: ("data", "{B"), 3: ("type", "s"),
        4: ("stringData", "{s"), 5: ("immutable", "b"),
    },
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 3: ("automountServiceAccountToken", "b")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec")},
    "ServiceSpec": {
        1: ("ports", "[ServicePort"), 2: ("selector", "{s"), 3: ("clusterIP", "s"),
        4: ("type", "s"), 11: ("externalName", "s"),
    },
    "ServicePort": {
        1: ("name", "s"), 2: ("protocol", "s"), 3: ("port", "i"),
        4: ("targetPort", "IntOrString"), 5: ("nodePort", "i"),
    },
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec")},
    "DeploymentSpec": {
        1: ("replicas", "i"), 2: ("selector", "LabelSelector"), 3: ("template", "PodTemplateSpec"),
        4: ("strategy", "DeploymentStrategy"), 5: ("minReadySeconds", "i"),
        6: ("revisionHistoryLimit", "i"), 7: ("paused", "b"), 9: ("progressDeadlineSeconds", "i"),
    },
    "DeploymentStrategy": {1: ("type", "s")},
    "LabelSelector": {1: ("matchLabels", "{s"), 2: ("matchExpressions", "[Requirement")},
    "Requirement": {1: ("key", "s"), 2: ("operator", "s"), 3: ("values", "[s")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {
        2: ("containers", "[Container"), 3: ("restartPolicy", "s"),
        4: ("terminationGracePeriodSeconds", "i"), 6: ("dnsPolicy", "s"),
        7: ("nodeSelector", "{s"), 8: ("serviceAccountName", "s"), 10: ("nodeName", "s"),
        19: ("schedulerName", "s"), 20: ("initContainers", "[Container"),
        24: ("priorityClassName", "s"),
    },
    "Container": {
        1: ("name", "s"), 2: ("image", "s"), 3: ("command", "[s"), 4: ("args", "[s"),
        5: ("workingDir", "s"), 6: ("ports", "[ContainerPort"), 7: ("env", "[EnvVar"),
        8: ("resources", "Resources"), 13: ("terminationMessagePath", "s"),
        14: ("imagePullPolicy", "s"), 16: ("stdin", "b"), 17: ("stdinOnce", "b"),
        18: ("tty", "b"), 20: ("terminationMessagePolicy", "s"),
    },
    "ContainerPort": {
        1: ("name", "s"), 2: ("hostPort", "i"), 3: ("containerPort", "i"),
        4: ("protocol", "s"), 5: ("hostIP", "s"),
    },
    "EnvVar": {1: ("name", "s"), 2: ("value", "s")},
    "Resources": {1: ("limits", "{Quantity"), 2: ("requests", "{Quantity")},
    "Quantity": {1: ("string", "s")},
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "JobSpec": {
        1: ("parallelism", "i"), 2: ("completions", "i"), 3: ("activeDeadlineSeconds", "i"),
        4: ("selector", "LabelSelector"), 5: ("manualSelector", "b"),
        6: ("template", "PodTemplateSpec"), 7: ("backoffLimit", "i"),
        8: ("ttlSecondsAfterFinished", "i"), 9: ("completionMode", "s"), 10: ("suspend", "b"),
    },
    "CronJob": {1: ("metadata", "ObjectMeta"), 2: ("spec", "CronJobSpec")},
    "CronJobSpec": {
        1: ("schedule", "s"), 2: ("startingDeadlineSeconds", "i"),
        3: ("concurrencyPolicy", "s"), 4: ("suspend", "b"), 5: ("jobTemplate", "JobTemplate"),
        6: ("successfulJobsHistoryLimit", "i"), 7: ("failedJobsHistoryLimit", "i"),
        8: ("timeZone", "s"),
    },
    "JobTemplate": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "Role": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[PolicyRule")},
    "PolicyRule": {
        1: ("verbs", "[s"), 2: ("apiGroups", "[s"), 3: ("resources", "[s"),
        4: ("resourceNames", "[s"), 5: ("nonResourceURLs", "[s"),
    },
    "RoleBinding": {
        1: ("metadata", "ObjectMeta"), 2: ("subjects", "[Subject"), 3: ("roleRef", "RoleRef"),
    },
    "Subject": {1: ("kind", "s"), 2: ("apiGroup", "s"), 3: ("name", "s"), 4: ("namespace", "s")},
    "RoleRef": {1: ("apiGroup", "s"), 2: ("kind", "s"), 3: ("name", "s")},
    "AccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "AccessReviewSpec")},
    "AccessReviewSpec": {
        1: ("resourceAttributes", "ResourceAttributes"),
        2: ("nonResourceAttributes", "NonResourceAttributes"),
    },
    "ResourceAttributes": {
        1: ("namespace", "s"), 2: ("verb", "s"), 3: ("group", "s"), 4: ("version", "s"),
        5: ("resource", "s"), 6: ("subresource", "s"), 7: ("name", "s"),
    },
    "NonResourceAttributes": {1: ("path", "s"), 2: ("verb", "s")},
    "RulesReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "RulesReviewSpec")},
    "RulesReviewSpec": {1: ("namespace", "s")},
    "SubjectReview": {1: ("metadata", "ObjectMeta")},
    "Ingress": {1: ("metadata", "ObjectMeta"), 2: ("spec", "IngressSpec")},
    "IngressSpec": {
        1: ("defaultBackend", "IngressBackend"), 2: ("tls", "[IngressTLS"),
        3: ("rules", "[IngressRule"), 4: ("ingressClassName", "s"),
    },
    "IngressTLS": {1: ("hosts", "[s"), 2: ("secretName", "s")},
    "IngressRule": {1: ("host", "s"), 2: ("", "^IngressRuleValue")},
    "IngressRuleValue": {1: ("http", "HTTPIngressRuleValue")},
    "HTTPIngressRuleValue": {1: ("paths", "[HTTPIngressPath")},
    "HTTPIngressPath": {1: ("path", "s"), 2: ("backend", "IngressBackend"), 3: ("pathType", "s")},
    "IngressBackend": {3: ("resource", "TypedRef"), 4: ("service", "ServiceBackend")},
    "TypedRef": {1: ("apiGroup", "s"), 2: ("kind", "s"), 3: ("name", "s")},
    "ServiceBackend": {1: ("name", "s"), 2: ("port", "ServiceBackendPort")},
    "ServiceBackendPort": {1: ("name", "s"), 2: ("number", "i")},
    "PriorityClass": {
        1: ("metadata", "ObjectMeta"), 2: ("value", "i!"), 3: ("globalDefault", "b"),
        4: ("description", "s"), 5: ("preemptionPolicy", "s"),
    },
    "HorizontalPodAutoscaler": {1: ("metadata", "ObjectMeta"), 2: ("spec", "HPASpec")},
    "HPASpec": {
        1: ("scaleTargetRef", "CrossVersionObjectReference"), 2: ("minReplicas", "i"),
        3: ("maxReplicas", "i!"), 4: ("metrics", "[MetricSpec"),
    },
    "CrossVersionObjectReference": {1: ("kind", "s"), 2: ("name", "s"), 3: ("apiVersion", "s")},
    "MetricSpec": {1: ("type", "s"), 4: ("resource", "ResourceMetricSource")},
    "ResourceMetricSource": {1: ("name", "s"), 2: ("target", "MetricTarget")},
    "MetricTarget": {
        1: ("type", "s"), 2: ("value", "Quantity"), 3: ("averageValue", "Quantity"),
        4: ("averageUtilization", "i"),
    },
    "PodDisruptionBudget": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PDBSpec")},
    "PDBSpec": {
        1: ("minAvailable", "IntOrString"), 2: ("selector", "LabelSelector"),
        3: ("maxUnavailable", "IntOrString"), 4: ("unhealthyPodEvictionPolicy", "s"),
    },
}  # fmt: skip

# The kinds whose protobuf bodies are understood, by apiVersion/kind.
KINDS = {
    "v1/Namespace": "Namespace",
    "v1/ConfigMap": "ConfigMap",
    "v1/Secret": "Secret",
    "v1/ServiceAccount": "ServiceAccount",
    "v1/Service": "Service",
    "apps/v1/Deployment": "Deployment",
    "batch/v1/Job": "Job",
    "batch/v1/CronJob": "CronJob",
    "rbac.authorization.k8s.io/v1/Role": "Role",
    "rbac.authorization.k8s.io/v1/ClusterRole": "Role",
    "rbac.authorization.k8s.io/v1/RoleBinding": "RoleBinding",
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "RoleBinding",
    "authorization.k8s.io/v1/SelfSubjectAccessReview": "AccessReview",
    "authorization.k8s.io/v1/SelfSubjectRulesReview": "RulesReview",
    "authentication.k8s.io/v1/SelfSubjectReview": "SubjectReview",
    "authentication.k8s.io/v1beta1/SelfSubjectReview": "SubjectReview",
    "networking.k8s.io/v1/Ingress": "Ingress",
    "scheduling.k8s.io/v1/PriorityClass": "PriorityClass",
    "policy/v1/PodDisruptionBudget": "PodDisruptionBudget",
    "autoscaling/v2/HorizontalPodAutoscaler": "HorizontalPodAutoscaler",
}


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varint(self) -> int:
        shift = result = 0
        while True:
            if self.pos >= len(self.data) or shift > 63:
                raise bad_request("the request body could not be decoded: truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise bad_request("the request body could not be decoded: truncated field")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def fields(self) -> list[tuple[int, int, Any]]:
        out: list[tuple[int, int, Any]] = []
        while self.pos < len(self.data):
            key = self.varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                value: Any = self.varint()
            elif wire == 2:
                value = self.take(self.varint())
            elif wire == 1:
                value = self.take(8)
            elif wire == 5:
                value = self.take(4)
            else:
                raise bad_request(f"the request body could not be decoded: wire type {wire}")
            out.append((number, wire, value))
        return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind == "s":
        return value.decode() if wire == 2 else None
    if kind == "i":
        return _signed(value) if wire == 0 else None
    if kind == "b":
        return bool(value) if wire == 0 else None
    if kind == "B":
        return base64.b64encode(value).decode() if wire == 2 else None
    if kind == "B*":
        return value if wire == 2 else None
    if wire != 2:
        return None
    return message(kind, value)


def _special(kind: str, decoded: dict[str, Any]) -> Any:
    if kind == "Quantity":
        return decoded.get("string", "")
    if kind == "IntOrString":
        return decoded.get("strVal") if decoded.get("type") == 1 else decoded.get("intVal", 0)
    return decoded


def message(name: str, data: bytes) -> Any:
    """Decode one message of type ``name`` into its JSON form."""
    if name == "IntOrString":
        table: _F = {1: ("type", "i"), 2: ("intVal", "i"), 3: ("strVal", "s")}
    else:
        table = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, wire, value in _Reader(data).fields():
        if number not in table:
            continue
        field, kind = table[number]
        if kind.startswith("^"):
            inline = _scalar(kind[1:], wire, value)
            if isinstance(inline, dict):
                out.update(inline)
        elif kind.startswith("{"):
            entry = {n: v for n, w, v in _Reader(value).fields() if w == 2}
            key = entry.get(1, b"").decode()
            item = _scalar(kind[1:], 2, entry.get(2, b""))
            out.setdefault(field, {})[key] = "" if item is None else item
        elif kind.startswith("["):
            item = _scalar(kind[1:], wire, value)
            if item is not None:
                out.setdefault(field, []).append(item)
        else:
            item = _scalar(kind.rstrip("!"), wire, value)
            if item not in (None, "", 0, False) or (kind in ("IntOrString", "i!") and item == 0):
                out[field] = item
    return _special(name, out)


def decode_body(raw: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object; 415 for kinds without a table."""
    if not raw.startswith(MAGIC):
        raise bad_request("the request body could not be decoded: missing the k8s envelope")
    unknown = message("Unknown", raw[len(MAGIC) :])
    type_meta = unknown.get("typeMeta") or {}
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    name = KINDS.get(f"{api_version}/{kind}")
    if name is None:
        raise unsupported_media_type(("application/json", "application/yaml"))
    body = message(name, unknown.get("raw", b""))
    return {"apiVersion": api_version, "kind": kind, **body}
