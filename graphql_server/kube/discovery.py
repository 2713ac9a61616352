"""What a cluster serves: its identity and every listable, watchable resource type.

For each API group only the preferred version is watched (the same objects are
served under every version of a group; watching each would store them twice).
Types are :class:`~graphql_server.kube.resource_types.ResourceType`, named
``plural.group`` (``pods``, ``deployments.apps``), the names the include/exclude
filters use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from graphql_server.errors import KubernetesError
from graphql_server.kube.client import KubeClient
from graphql_server.kube.resource_types import ResourceType as ResourceType

DEFAULT_EXCLUDED = frozenset({"events", "events.events.k8s.io", "leases.coordination.k8s.io"})
log = logging.getLogger(__name__)

CRD_TYPE = "customresourcedefinitions.apiextensions.k8s.io"


@dataclass(frozen=True, slots=True)
class ClusterIdentity:
    uid: str
    version: str


class TypeFilter:
    """Include/exclude by ``plural.group``; an empty include list means everything."""

    def __init__(self, include: Iterable[str] = (), exclude: Iterable[str] | None = None) -> None:
        self.include = frozenset(include)
        self.exclude = DEFAULT_EXCLUDED if exclude is None else frozenset(exclude)

    def allows(self, name: str) -> bool:
        if name == CRD_TYPE:
            return True  # always watched: it drives starting and stopping the others
        if self.include and name not in self.include:
            return False
        return name not in self.exclude


async def identify(client: KubeClient) -> ClusterIdentity:
    """The cluster's identity: the uid of its kube-system namespace."""
    namespace, version = await asyncio.gather(
        client.get("/api/v1/namespaces/kube-system"), client.get("/version")
    )
    uid = (namespace.get("metadata") or {}).get("uid")
    if not uid:
        raise KubernetesError("the kube-system namespace has no uid")
    return ClusterIdentity(uid=str(uid), version=str(version.get("gitVersion", "")))


def _types(group: str, version: str, document: dict[str, object]) -> list[ResourceType]:
    found = []
    for entry in document.get("resources") or []:  # type: ignore[attr-defined]
        if not isinstance(entry, dict):
            continue
        plural = str(entry.get("name", ""))
        verbs = set(entry.get("verbs") or ())
        if not plural or "/" in plural or not {"list", "watch"} <= verbs:
            continue
        found.append(
            ResourceType(
                group=group,
                version=version,
                kind=str(entry.get("kind", "")),
                plural=plural,
                namespaced=bool(entry.get("namespaced")),
            )
        )
    return found


async def group_types(client: KubeClient, group: str, version: str) -> list[ResourceType]:
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    return _types(group, version, await client.get(path))


async def discover(
    client: KubeClient,
    type_filter: TypeFilter,
    *,
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = log,
) -> list[ResourceType]:
    """Every resource type to watch, in a stable order; ``logger`` names the cluster."""
    groups = await client.get("/apis")
    versions: list[tuple[str, str]] = [("", "v1")]
    for group in groups.get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("version")
        if not preferred and group.get("versions"):
            preferred = group["versions"][0]["version"]
        if preferred:
            versions.append((group["name"], preferred))
    results = await asyncio.gather(
        *(group_types(client, g, v) for g, v in versions), return_exceptions=True
    )
    found: list[ResourceType] = []
    for (group, version), result in zip(versions, results, strict=True):
        if isinstance(result, KubernetesError):
            # An aggregated API that is down must not hide the rest.
            logger.warning(
                "discovery of %s/%s failed: %s", group or "core", version, result.message
            )
            continue
        if isinstance(result, BaseException):
            raise result
        found.extend(t for t in result if type_filter.allows(t.name))
    return sorted(found, key=lambda t: t.name)
