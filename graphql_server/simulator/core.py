"""The core of a simulated cluster's state: types, stores, versions, history, commits.

Owns :class:`StateCore`: the one resourceVersion counter, the served resource types
(a composed :class:`~graphql_server.simulator.served.ServedTypes`), the per-resource
stores, the event history and the watch hub, the commit that records and dispatches
every change, owner cascades (over a composed
:class:`~graphql_server.simulator.owners.OwnerIndex`) and namespace cascades,
reads, and the trusted write path generators use. Admission-checked writes (what HTTP
clients do) are :class:`~graphql_server.simulator.state.ClusterState`. Every method is
synchronous, so each change is atomic on the event loop.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from typing import Any

from graphql_server.simulator import crds
from graphql_server.simulator.catalogue import (
    BUILTIN_RESOURCES,
    CRD_GROUP,
    CRD_PLURAL,
    ResourceType,
)
from graphql_server.simulator.history import ADDED, DELETED, MODIFIED, History, WatchEvent
from graphql_server.simulator.listing import Page, SnapshotCache, select_page
from graphql_server.simulator.objects import rfc3339
from graphql_server.simulator.owners import OwnerIndex
from graphql_server.simulator.selectors import FieldSelector, LabelSelector
from graphql_server.simulator.served import ServedTypes
from graphql_server.simulator.status import not_found
from graphql_server.simulator.store import Entry, ResourceStore
from graphql_server.simulator.watching import WatchHub

CRD_KEY = f"{CRD_PLURAL}.{CRD_GROUP}"
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
ROOT_CA = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIC5zCCAc+gAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n"
    "-----END CERTIFICATE-----\n"
)


class StateCore:
    """Objects, versions and served types of one simulated cluster."""

    def __init__(self, *, name: str, seed: int, history_size: int) -> None:
        self.name = name
        self.seed = seed
        self.rv = 0
        self.history = History(history_size)
        self.hub = WatchHub()
        self.snapshots = SnapshotCache()
        self.catalog = ServedTypes()
        self.stores: dict[str, ResourceStore] = {}
        self._crd_served: dict[str, list[ResourceType]] = {}
        self.owners = OwnerIndex()
        self._rng = random.Random(f"{name}/{seed}")
        for rtype in BUILTIN_RESOURCES:
            self._register(rtype)
        for namespace in INITIAL_NAMESPACES:
            self._bootstrap_namespace(namespace)

    # -- identity --------------------------------------------------------------------------

    def stable_uid(self, what: str) -> str:
        """A uid that is the same for every run of this cluster name and seed."""
        return str(
            uuid.uuid5(
                uuid.NAMESPACE_URL, f"graphql-server-simulator:{self.name}:{self.seed}:{what}"
            )
        )

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _bootstrap_namespace(self, name: str) -> None:
        obj = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": self.stable_uid(f"namespace/{name}"),
                "creationTimestamp": "2024-01-01T00:00:00Z",
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        self._commit(ADDED, "namespaces", obj, None)
        self._namespace_defaults(name, "2024-01-01T00:00:00Z")

    def _namespace_defaults(self, namespace: str, created: str) -> None:
        """What the controllers put in every new namespace: a default serviceaccount and
        the cluster's root CA configmap."""
        for key, kind, name, extra in (
            ("serviceaccounts", "ServiceAccount", "default", {}),
            ("configmaps", "ConfigMap", "kube-root-ca.crt", {"data": {"ca.crt": ROOT_CA}}),
        ):
            if self.stores[key].get(namespace, name) is None:
                meta = {"name": name, "namespace": namespace, "uid": self.new_uid(),
                        "creationTimestamp": created}  # fmt: skip
                obj = {"apiVersion": "v1", "kind": kind, "metadata": meta, **extra}
                self._commit(ADDED, key, obj, None)

    # -- types -----------------------------------------------------------------------------

    @property
    def types(self) -> dict[str, ResourceType]:
        """The storage type of each served resource, by ``plural.group``."""
        return self.catalog.types

    @property
    def served(self) -> dict[tuple[str, str, str], ResourceType]:
        return self.catalog.served

    @property
    def groups(self) -> list[str]:
        return self.catalog.groups

    def _register(self, rtype: ResourceType) -> None:
        storage = self.catalog.register(rtype)
        if rtype.key not in self.stores:
            self.stores[rtype.key] = ResourceStore(storage)

    def _unregister(self, rtype: ResourceType) -> None:
        self.catalog.unregister(rtype)

    def resolve(self, group: str, version: str, plural: str) -> ResourceType:
        return self.catalog.resolve(group, version, plural)

    def resolve_kind(self, api_version: str, kind: str) -> ResourceType:
        return self.catalog.resolve_kind(api_version, kind)

    def versions_of(self, group: str) -> list[str]:
        return self.catalog.versions_of(group)

    def served_types(self, group: str, version: str) -> list[ResourceType]:
        return self.catalog.served_types(group, version)

    def _api_versions(self, rtype: ResourceType) -> list[str]:
        return self.catalog.api_versions(rtype)

    def store(self, rtype: ResourceType) -> ResourceStore:
        return self.stores[rtype.key]

    # -- commits ---------------------------------------------------------------------------

    def _commit(self, kind: str, key: str, obj: dict[str, Any], prev: Entry | None) -> Entry:
        """Give ``obj`` the next version, store it and tell history and watchers.

        ``obj`` and its ``metadata`` must be dicts owned by the caller (never a stored one).
        """
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        entry = Entry(obj, self.rv)
        store = self.stores[key]
        if kind == DELETED:
            store.remove(entry.namespace, entry.name)
        else:
            store.put(entry)
        event = WatchEvent(kind, key, entry, prev)
        self.history.append(event)
        self.hub.dispatch(event)
        self.owners.track(key, entry, prev, kind)
        return entry

    def bump(self) -> int:
        """Advance the resourceVersion without changing any object."""
        self.rv += 1
        return self.rv

    # -- reads -----------------------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Entry:
        entry = self.stores[rtype.key].get(namespace if rtype.namespaced else "", name)
        if entry is None:
            raise not_found(rtype.group, rtype.plural, name)
        return entry

    def list_page(
        self,
        rtype: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
        limit: int | None = None,
        token: str | None = None,
    ) -> Page:
        return select_page(
            self.stores[rtype.key],
            namespace if rtype.namespaced else None,
            labels,
            fields,
            limit,
            token,
            current_rv=self.rv,
            floor=self.history.floor,
            snapshots=self.snapshots,
        )

    def namespace_exists(self, namespace: str) -> bool:
        return self.stores["namespaces"].get("", namespace) is not None

    # -- deletion --------------------------------------------------------------------------

    def _delete_entry(self, key: str, current: Entry, propagation: str) -> tuple[Entry, bool]:
        if key == "namespaces":
            return self._delete_namespace(current), True
        obj = current.obj
        meta = obj["metadata"]
        if meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return current, False
            meta["deletionTimestamp"] = rfc3339()
            meta["deletionGracePeriodSeconds"] = 0
            return self._commit(MODIFIED, key, obj, current), False
        gone = self._remove(key, current)
        if propagation != "Orphan":
            self._cascade(current.uid, propagation)
        return gone, True

    def _remove(self, key: str, current: Entry, obj: dict[str, Any] | None = None) -> Entry:
        gone = self._commit(DELETED, key, current.obj if obj is None else obj, current)
        if key == CRD_KEY:
            self._unserve_crd(current)
        return gone

    def _cascade(self, owner_uid: str, propagation: str) -> None:
        for key, namespace, name in self.owners.take(owner_uid):
            dependent = self.stores[key].get(namespace, name)
            if dependent is not None:
                self._delete_entry(key, dependent, propagation)

    def _delete_namespace(self, current: Entry) -> Entry:
        name = current.name
        obj = current.obj
        obj["metadata"]["deletionTimestamp"] = rfc3339()
        obj["status"] = {"phase": "Terminating"}
        terminating = self._commit(MODIFIED, "namespaces", obj, current)
        for key, store in list(self.stores.items()):
            if store.rtype.namespaced and key in self.stores:
                for entry in sorted(store.iter_entries(name), key=Entry.sort_key):
                    if self.stores[key].get(entry.namespace, entry.name) is entry:
                        self._remove(key, entry)
        return self._remove("namespaces", terminating)

    # -- trusted writes (generators and churn; no admission checks) --------------------------

    def upsert(self, key: str, obj: dict[str, Any]) -> Entry:
        """Store ``obj`` as is (ADDED or MODIFIED), stamping only missing server fields.

        The caller hands over ``obj`` and its ``metadata``: neither may be shared with a
        stored object. Namespaces are not checked and CRDs are not served from here.
        """
        meta = obj["metadata"]
        store = self.stores[key]
        current = store.get(meta.get("namespace", ""), meta["name"])
        if "uid" not in meta:
            meta["uid"] = current.uid if current is not None else self.new_uid()
        if "creationTimestamp" not in meta:
            meta["creationTimestamp"] = rfc3339()
        meta.setdefault("generation", 1)
        return self._commit(ADDED if current is None else MODIFIED, key, obj, current)

    def remove_object(self, key: str, namespace: str, name: str) -> Entry | None:
        """Delete at once, ignoring finalizers; dependents are deleted too."""
        current = self.stores[key].get(namespace, name)
        if current is None:
            return None
        if key == "namespaces":
            return self._delete_namespace(current)
        gone = self._remove(key, current)
        self._cascade(current.uid, "Background")
        return gone

    # -- CRDs ------------------------------------------------------------------------------

    def _serve_crd(self, entry: Entry, types: Iterable[ResourceType]) -> None:
        name = entry.name
        for rtype in self._crd_served.pop(name, []):
            self._unregister(rtype)
        served = list(types)
        storage = crds.storage_type(entry.obj)
        self.catalog.store_as(storage)
        if storage.key not in self.stores:
            self.stores[storage.key] = ResourceStore(storage)
        else:
            self.stores[storage.key].rtype = storage
        for rtype in served:
            self._register(rtype)
        self.catalog.store_as(storage)
        self._crd_served[name] = served

    def _unserve_crd(self, crd: Entry) -> None:
        served = self._crd_served.pop(crd.name, [])
        spec = crd.obj["spec"]
        key = f"{spec['names']['plural']}.{spec['group']}"
        store = self.stores.get(key)
        if store is not None:
            for entry in sorted(store.iter_entries(), key=Entry.sort_key):
                self._remove(key, entry)
        for rtype in served:
            self._unregister(rtype)
        self.hub.end_key(key)
        self.catalog.forget(key, spec["group"], spec["names"]["kind"])
        self.stores.pop(key, None)
        self.snapshots.forget(key)
