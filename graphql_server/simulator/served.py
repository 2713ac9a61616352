"""Which resource types a simulated cluster serves, and how names resolve to them.

Owns :class:`ServedTypes`: the served group/version/resource triples (built-in and
from CRDs), the storage type of each resource, the kinds, and the API groups in
order of first appearance. It resolves URL paths and ``apiVersion``/``kind`` pairs
to types. It holds no objects and knows nothing of stores or HTTP.
"""

from __future__ import annotations

from graphql_server.simulator import crds
from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.status import path_not_found


class ServedTypes:
    """The served resource types of one cluster."""

    def __init__(self) -> None:
        self.types: dict[str, ResourceType] = {}  # storage type by ``plural.group``
        self.served: dict[tuple[str, str, str], ResourceType] = {}
        self.kinds: dict[tuple[str, str], str] = {}
        self.groups: list[str] = []

    def register(self, rtype: ResourceType) -> ResourceType:
        """Serve ``rtype``; return the storage type of its resource."""
        self.served[(rtype.group, rtype.version, rtype.plural)] = rtype
        if rtype.group not in self.groups:
            self.groups.append(rtype.group)
        if rtype.version == (rtype.storage_version or rtype.version):
            self.types[rtype.key] = rtype
        self.kinds[(rtype.group, rtype.kind)] = rtype.key
        return self.types.get(rtype.key, rtype)

    def store_as(self, storage: ResourceType) -> None:
        """Make ``storage`` the type its resource and kind are stored as (a CRD's)."""
        self.types[storage.key] = storage
        self.kinds[(storage.group, storage.kind)] = storage.key

    def forget(self, key: str, group: str, kind: str) -> None:
        """Drop a resource no longer defined (its served versions are unregistered)."""
        self.types.pop(key, None)
        self.kinds.pop((group, kind), None)

    def unregister(self, rtype: ResourceType) -> None:
        self.served.pop((rtype.group, rtype.version, rtype.plural), None)
        if not any(t.group == rtype.group for t in self.served.values()):
            self.groups = [g for g in self.groups if g != rtype.group]

    def resolve(self, group: str, version: str, plural: str) -> ResourceType:
        rtype = self.served.get((group, version, plural))
        if rtype is None:
            raise path_not_found()
        return rtype

    def resolve_kind(self, api_version: str, kind: str) -> ResourceType:
        group, _, version = api_version.rpartition("/")
        key = self.kinds.get((group, kind))
        rtype = None if key is None else self.served.get((group, version, self.types[key].plural))
        if rtype is None:
            raise path_not_found()
        return rtype

    def versions_of(self, group: str) -> list[str]:
        versions = {t.version for t in self.served.values() if t.group == group}
        return sorted(versions, key=crds.version_priority)

    def served_types(self, group: str, version: str) -> list[ResourceType]:
        return [t for t in self.served.values() if t.group == group and t.version == version]

    def api_versions(self, rtype: ResourceType) -> list[str]:
        """Every ``apiVersion`` an object of ``rtype``'s group may be written with."""
        return [f"{rtype.group}/{v}" if rtype.group else v for v in self.versions_of(rtype.group)]
