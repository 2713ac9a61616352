"""The self-subject review APIs: what the caller may do and who the caller is.

Owns ``SelfSubjectAccessReview`` and ``SelfSubjectRulesReview``
(``authorization.k8s.io/v1``) and ``SelfSubjectReview`` (``authentication.k8s.io``),
the create-only resources ``kubectl auth can-i`` and ``kubectl auth whoami`` use. The
answers come from the simulator's permissions: everything is allowed except the
resources its fault hooks forbid (``/_sim/faults/forbid`` or an injected 403).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.wire import json_body, json_response
from graphql_server.simulator.status import (
    USER,
    USER_GROUPS,
    bad_request,
    method_not_allowed,
    path_not_found,
)

AUTHORIZATION = "authorization.k8s.io"
AUTHENTICATION = "authentication.k8s.io"

# (group, version, plural, kind) of each review resource.
REVIEWS: tuple[tuple[str, str, str, str], ...] = (
    (AUTHORIZATION, "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
    (AUTHORIZATION, "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview"),
    (AUTHENTICATION, "v1", "selfsubjectreviews", "SelfSubjectReview"),
    (AUTHENTICATION, "v1beta1", "selfsubjectreviews", "SelfSubjectReview"),
)


def review_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for group, version, _, _ in REVIEWS:
        groups.setdefault(group, []).append(version)
    return groups


def review_types(group: str, version: str) -> list[ResourceType]:
    """The review resources of ``group``/``version``, create-only (for OpenAPI)."""
    return [
        ResourceType(group=g, version=v, kind=kind, plural=plural, namespaced=False,
                     singular=kind.lower(), verbs=("create",))
        for g, v, plural, kind in REVIEWS
        if (g, v) == (group, version)
    ]  # fmt: skip


def review_resources(group: str, version: str) -> list[dict[str, Any]]:
    return [
        {"name": plural, "singularName": kind.lower(), "namespaced": False, "kind": kind,
         "verbs": ["create"]}
        for g, v, plural, kind in REVIEWS
        if (g, v) == (group, version)
    ]  # fmt: skip


def _allowed(cluster: ClusterModel, attributes: dict[str, Any]) -> bool:
    resource = str(attributes.get("resource") or "")
    group = str(attributes.get("group") or "")
    if attributes.get("subresource"):
        resource = f"{resource}/{attributes['subresource']}"
    plural = resource.partition("/")[0]
    key = f"{plural}.{group}" if group else plural
    return not (resource and cluster.faults.denies(key, plural))


def _rules(cluster: ClusterModel) -> list[dict[str, Any]]:
    if not cluster.faults.forbidden and not cluster.faults.errors:
        return [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
    rules = []
    for (group, _, plural), rtype in sorted(cluster.served.items()):
        if not cluster.faults.denies(rtype.key, plural):
            rules.append({"verbs": ["*"], "apiGroups": [group], "resources": [plural]})
    return rules


async def serve_review(
    cluster: ClusterModel, request: web.Request, group: str, version: str, plural: str
) -> web.Response:
    kind = next((k for g, v, p, k in REVIEWS if (g, v, p) == (group, version, plural)), None)
    if kind is None:
        raise path_not_found()
    if request.method != "POST":
        raise method_not_allowed(request.method)
    cluster.faults.check(f"{plural}.{group}", group, plural, "create", "")
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("the review must be a JSON object")
    given = body.get("spec")
    spec: dict[str, Any] = given if isinstance(given, dict) else {}
    status: dict[str, Any]
    if kind == "SelfSubjectAccessReview":
        attributes = spec.get("resourceAttributes")
        if not isinstance(attributes, dict) and not isinstance(
            spec.get("nonResourceAttributes"), dict
        ):
            raise bad_request("spec.resourceAttributes or spec.nonResourceAttributes is required")
        status = {"allowed": _allowed(cluster, attributes if isinstance(attributes, dict) else {})}
    elif kind == "SelfSubjectRulesReview":
        status = {
            "resourceRules": _rules(cluster),
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    else:
        status = {"userInfo": {"username": USER, "groups": list(USER_GROUPS)}}
    doc: dict[str, Any] = {
        "kind": kind,
        "apiVersion": f"{group}/{version}",
        "metadata": {"creationTimestamp": None},
    }
    if kind != "SelfSubjectReview":
        doc["spec"] = spec
    doc["status"] = status
    return json_response(orjson.dumps(doc), 201)
