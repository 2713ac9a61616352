"""CustomResourceDefinitions: turning a CRD object into served resource types.

Owns validation of a CRD's spec (group, names, scope, versions with exactly one storage
version), the :class:`ResourceType` per served version, the version priority order the
apiserver uses to pick a preferred version, and the status a CRD gets once established.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from graphql_server.simulator.catalogue import NAME_SUBDOMAIN, ResourceType
from graphql_server.simulator.objects import rfc3339
from graphql_server.simulator.status import invalid

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key giving the apiserver's order: GA > beta > alpha, higher numbers first."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major = int(match.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    minor = int(match.group(3) or 0)
    return (stage, -major, -minor, version)


def _fail(name: str, field: str, message: str) -> NoReturn:
    raise invalid("CustomResourceDefinition", name, "apiextensions.k8s.io", [(field, message)])


def crd_types(obj: dict[str, Any]) -> list[ResourceType]:
    """The resource types a CRD serves, one per served version; 422 when it is invalid."""
    name = obj["metadata"]["name"]
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        _fail(name, "spec", "Required value")
    group = spec.get("group")
    names = spec.get("names")
    if not isinstance(group, str) or "." not in group:
        _fail(
            name,
            "spec.group",
            f'Invalid value: "{group}": should be a domain with at least one dot',
        )
    if not isinstance(names, dict):
        _fail(name, "spec.names", "Required value")
    plural, kind = names.get("plural"), names.get("kind")
    if not isinstance(plural, str) or not _DNS_LABEL.match(plural):
        _fail(name, "spec.names.plural", f'Invalid value: "{plural}": must be a DNS-1123 label')
    if not isinstance(kind, str) or not _KIND.match(kind):
        _fail(name, "spec.names.kind", f'Invalid value: "{kind}": must be a CamelCase kind')
    if name != f"{plural}.{group}":
        _fail(
            name,
            "metadata.name",
            f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
        )
    singular = names.get("singular") or kind.lower()
    short_names = names.get("shortNames") or []
    categories = names.get("categories") or []
    if not isinstance(short_names, list) or not all(isinstance(s, str) for s in short_names):
        _fail(name, "spec.names.shortNames", "must be a list of strings")
    if not isinstance(categories, list) or not all(isinstance(s, str) for s in categories):
        _fail(name, "spec.names.categories", "must be a list of strings")
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        _fail(
            name,
            "spec.scope",
            f'Unsupported value: "{scope}": supported values: "Cluster", "Namespaced"',
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        _fail(
            name,
            "spec.versions",
            "Required value: must have exactly one version marked as storage version",
        )
    storage = [v.get("name") for v in versions if isinstance(v, dict) and v.get("storage")]
    if len(storage) != 1:
        _fail(
            name,
            "spec.versions",
            "Invalid value: must have exactly one version marked as storage version",
        )
    seen: set[str] = set()
    types: list[ResourceType] = []
    for version in versions:
        vname = version.get("name") if isinstance(version, dict) else None
        if not isinstance(vname, str) or not _DNS_LABEL.match(vname) or vname in seen:
            _fail(
                name, "spec.versions", f'Invalid value: "{vname}": must be a unique DNS-1123 label'
            )
        seen.add(vname)
        if not version.get("served", False):
            continue
        subresources = version.get("subresources") or {}
        types.append(
            ResourceType(
                group=group,
                version=vname,
                kind=kind,
                plural=plural,
                singular=singular,
                namespaced=scope == "Namespaced",
                short_names=tuple(short_names),
                categories=tuple(categories),
                has_status=isinstance(subresources, dict) and "status" in subresources,
                name_rule=NAME_SUBDOMAIN,
                storage_version=str(storage[0]),
            )
        )
    types.sort(key=lambda t: version_priority(t.version))
    return types


def storage_type(obj: dict[str, Any]) -> ResourceType:
    """The resource type at the storage version, served or not."""
    types = crd_types(obj)
    spec = obj["spec"]
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    for rtype in types:
        if rtype.version == storage:
            return rtype
    names = spec["names"]
    return ResourceType(
        group=spec["group"],
        version=storage,
        kind=names["kind"],
        plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        namespaced=spec["scope"] == "Namespaced",
        storage_version=storage,
    )


def established_status(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    now = rfc3339()
    names = dict(spec["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    storage = [v["name"] for v in spec["versions"] if v.get("storage")]
    return {
        "acceptedNames": names,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
        "storedVersions": storage,
    }
