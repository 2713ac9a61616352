"""Discovery documents: APIVersions, APIGroupList, APIGroup and APIResourceList.

Owns rendering what a :class:`~graphql_server.simulator.http.model.ClusterModel` serves
into the JSON shapes real clusters return from ``/api``, ``/apis``, ``/apis/{group}``
and ``.../{version}``, and the ``/version`` document. Read-only over the model.
"""

from __future__ import annotations

from typing import Any

from graphql_server.simulator.catalogue import STATUS_VERBS, ResourceType
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.reviews import review_groups, review_resources
from graphql_server.simulator.http.wire import crd_of
from graphql_server.simulator.scaling import SCALE_VERBS, scale_paths

VERSION_INFO: dict[str, str] = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _versions(state: ClusterModel, group: str) -> list[str]:
    versions = list(state.versions_of(group)) if group in state.groups else []
    return versions + [v for v in review_groups().get(group, []) if v not in versions]


def _group_doc(state: ClusterModel, group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in _versions(state, group)]
    return {"name": group, "versions": versions, "preferredVersion": dict(versions[0])}


def _group_names(state: ClusterModel) -> list[str]:
    names = [g for g in state.groups if g]
    return names + [g for g in review_groups() if g not in names]


def group_list(state: ClusterModel) -> dict[str, Any]:
    groups = [_group_doc(state, g) for g in _group_names(state)]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(state: ClusterModel, name: str) -> dict[str, Any] | None:
    if not name or name not in _group_names(state):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(state, name)}


def _resource_doc(rtype: ResourceType) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": rtype.plural,
        "singularName": rtype.singular,
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": list(rtype.verbs),
    }
    if rtype.short_names:
        doc["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        doc["categories"] = list(rtype.categories)
    return doc


def resource_list(state: ClusterModel, group: str, version: str) -> dict[str, Any] | None:
    types = state.served_types(group, version)
    resources: list[dict[str, Any]] = review_resources(group, version)
    if not types and not resources:
        return None
    for rtype in types:
        resources.append(_resource_doc(rtype))
        if rtype.has_status:
            resources.append(
                {
                    "name": f"{rtype.plural}/status",
                    "singularName": "",
                    "namespaced": rtype.namespaced,
                    "kind": rtype.kind,
                    "verbs": list(STATUS_VERBS),
                }
            )
        if scale_paths(rtype, crd_of(state, rtype)) is not None:
            resources.append(
                {
                    "name": f"{rtype.plural}/scale",
                    "singularName": "",
                    "namespaced": rtype.namespaced,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": list(SCALE_VERBS),
                }
            )
    doc: dict[str, Any] = {"kind": "APIResourceList"}
    if group:
        doc["apiVersion"] = "v1"
    doc["groupVersion"] = f"{group}/{version}" if group else version
    doc["resources"] = resources
    return doc
