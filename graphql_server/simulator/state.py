"""Admission-checked writes to a simulated cluster, as HTTP clients make them.

Owns :class:`ClusterState`: create, replace, patch (merge, JSON and strategic-merge,
apply), delete with preconditions and finalizers, delete-collection, and the CRD checks
that decide whether a CustomResourceDefinition may be served. Failures raise
:class:`ApiError` with the status a real apiserver answers. It knows nothing about HTTP.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from graphql_server.simulator import crds
from graphql_server.simulator.admission import admit, kind_schema
from graphql_server.simulator.applying import applied_managers, apply_config, record_update
from graphql_server.simulator.catalogue import CRD_GROUP, ResourceType
from graphql_server.simulator.conversion import convert, converts
from graphql_server.simulator.core import CRD_KEY, ROOT_CA, StateCore
from graphql_server.simulator.history import ADDED, MODIFIED
from graphql_server.simulator.objects import (
    SERVER_FIELDS,
    check_body,
    check_metadata_maps,
    check_name,
    generate_name,
    rfc3339,
    spec_part,
)
from graphql_server.simulator.patching import (
    APPLY_PATCH,
    CUSTOM_PATCH_TYPES,
    JSON_PATCH,
    STRATEGIC_PATCH,
    PatchError,
    json_patch,
    merge_patch,
)
from graphql_server.simulator.schemas import walking
from graphql_server.simulator.selectors import FieldSelector, LabelSelector
from graphql_server.simulator.status import (
    already_exists,
    bad_request,
    conflict,
    invalid,
    not_found,
    unsupported_media_type,
)
from graphql_server.simulator.store import Entry
from graphql_server.simulator.strategic import strategic_merge_patch

__all__ = ["CRD_KEY", "ROOT_CA", "ClusterState"]


class ClusterState(StateCore):
    """A cluster's state with the apiserver's admission rules on every write."""

    def create(
        self,
        rtype: ResourceType,
        namespace: str,
        body: Any,
        *,
        dry_run: bool = False,
        field_manager: str = "",
        applied: bool = False,
    ) -> Entry:
        """Create an object; ``applied`` when it comes from a server-side apply."""
        rtype, body = self._in_storage(rtype, body)
        config = copy.deepcopy(body) if applied else None
        obj = check_body(rtype, body, namespace, self._api_versions(rtype))
        meta = obj["metadata"]
        for field in (*SERVER_FIELDS, "managedFields"):
            meta.pop(field, None)
        name = meta.get("name")
        if not name and isinstance(meta.get("generateName"), str) and meta["generateName"]:
            name = meta["name"] = generate_name(meta["generateName"], self._rng)
        name = check_name(rtype, name)
        ns = meta.get("namespace", "")
        if rtype.namespaced and not self.namespace_exists(ns):
            raise not_found("", "namespaces", ns)
        store = self.stores[rtype.key]
        if store.get(ns, name) is not None:
            raise already_exists(rtype.group, rtype.plural, name)
        meta["uid"] = self.new_uid()
        meta["generation"] = 1
        meta["creationTimestamp"] = rfc3339()
        if rtype.key == "namespaces":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        crd = self._crd_of(rtype)
        obj = admit(rtype, obj, crd)
        if field_manager:
            node = kind_schema(rtype, crd) or walking.Node({}, {})
            version = rtype.api_version
            obj["metadata"]["managedFields"] = (
                applied_managers(config, node, field_manager, version)
                if isinstance(config, dict)
                else record_update(None, obj, node, field_manager, version)
            )
        crd_types: list[ResourceType] | None = None
        if rtype.key == CRD_KEY:
            crd_types = self._check_crd(obj, None)
            obj["status"] = crds.established_status(obj)
        if dry_run:
            meta["resourceVersion"] = str(self.rv)
            return Entry(obj, self.rv)
        entry = self._commit(ADDED, rtype.key, obj, None)
        if crd_types is not None:
            self._serve_crd(entry, crd_types)
        if rtype.key == "namespaces":
            self._namespace_defaults(name, meta["creationTimestamp"])
        return entry

    def replace(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str = "",
    ) -> Entry:
        rtype, body = self._in_storage(rtype, body)
        current = self.get(rtype, namespace, name)
        obj = check_body(rtype, body, current.namespace, self._api_versions(rtype))
        body_name = obj["metadata"].get("name")
        if body_name not in (None, "", name):
            raise bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        wanted_rv = obj["metadata"].get("resourceVersion")
        if wanted_rv not in (None, "") and wanted_rv != str(current.rv):
            raise conflict(rtype.group, rtype.plural, name)
        return self._update(rtype, current, obj, subresource, dry_run, field_manager)

    def patch(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        patch: Any,
        *,
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str = "",
        force: bool = False,
    ) -> Entry:
        """Patch an object; an apply patch is a server-side apply by ``field_manager``."""
        served = rtype
        if content_type == APPLY_PATCH:
            rtype, patch = self._in_storage(rtype, patch)
        else:
            rtype = self._storage_of(rtype)
        store = self.stores[rtype.key]
        current = store.get(namespace if rtype.namespaced else "", name)
        if current is None:
            if content_type == APPLY_PATCH and not subresource:
                body = patch if isinstance(patch, dict) else {}
                if isinstance(body.get("metadata"), dict):
                    body = {**body, "metadata": {**body["metadata"], "name": name}}
                return self.create(
                    rtype,
                    namespace,
                    body,
                    dry_run=dry_run,
                    field_manager=field_manager,
                    applied=True,
                )
            raise not_found(rtype.group, rtype.plural, name)
        if force and content_type != APPLY_PATCH:
            raise invalid(
                "PatchOptions",
                "",
                "meta.k8s.io",
                [("force", "Invalid value: true: may not be specified for non-apply patch")],
            )
        if content_type == APPLY_PATCH and not field_manager:
            raise invalid(
                "PatchOptions",
                "",
                "meta.k8s.io",
                [("fieldManager", "Required value: is required for apply patch")],
            )
        base = orjson.loads(current.raw)
        if content_type != APPLY_PATCH:
            base = convert(base, served.api_version)
        managed: list[dict[str, Any]] | None = None
        try:
            if content_type == APPLY_PATCH:
                if not isinstance(patch, dict):
                    raise PatchError("an apply patch must be an object", malformed=True)
                schema = kind_schema(rtype, self._crd_of(rtype)) or walking.Node({}, {})
                result = apply_config(base, patch, schema, field_manager, rtype.api_version, force)
                managed = result["metadata"]["managedFields"]
            elif content_type == JSON_PATCH:
                result = json_patch(base, patch)
            elif content_type == STRATEGIC_PATCH:
                builtin = walking.builtin_root(served.api_version, served.kind)
                if builtin is None:
                    raise unsupported_media_type(CUSTOM_PATCH_TYPES)
                if not isinstance(patch, dict):
                    raise PatchError("a strategic merge patch must be an object", malformed=True)
                result = strategic_merge_patch(base, patch, builtin)
            else:
                if not isinstance(patch, dict):
                    raise PatchError("a merge patch must be an object", malformed=True)
                result = merge_patch(base, patch)
        except PatchError as exc:
            if exc.malformed:
                raise bad_request(str(exc)) from exc
            raise invalid(rtype.kind, name, rtype.group, [("<patch>", str(exc))]) from exc
        if not isinstance(result, dict) or not isinstance(result.get("metadata"), dict):
            raise invalid(rtype.kind, name, rtype.group, [("metadata", "Required value")])
        meta = result["metadata"]
        if meta.get("name") != name or meta.get("namespace", "") != current.namespace:
            raise bad_request("a patch may not change metadata.name or metadata.namespace")
        if meta.get("resourceVersion") not in (None, str(current.rv)):
            raise conflict(rtype.group, rtype.plural, name)
        result = convert(result, rtype.storage_api_version)
        obj = check_body(rtype, result, current.namespace, self._api_versions(rtype))
        return self._update(rtype, current, obj, subresource, dry_run, field_manager, managed)

    def _update(
        self,
        rtype: ResourceType,
        current: Entry,
        obj: dict[str, Any],
        subresource: str,
        dry_run: bool,
        field_manager: str = "",
        managed: list[dict[str, Any]] | None = None,
    ) -> Entry:
        old = current.obj
        old_meta = old["metadata"]
        if subresource == "status":
            new = {k: v for k, v in old.items() if k != "status"}
            if obj.get("status") is not None:
                new["status"] = obj["status"]
            new["metadata"] = dict(old_meta)
            obj = new
        elif rtype.has_status:
            obj.pop("status", None)
            if "status" in old:
                obj["status"] = old["status"]
        meta = obj["metadata"]
        for field in SERVER_FIELDS:
            meta.pop(field, None)
            if field in old_meta:
                meta[field] = old_meta[field]
        meta["name"] = current.name
        if rtype.namespaced:
            meta["namespace"] = current.namespace
        causes = check_metadata_maps(meta)
        if causes:
            raise invalid(rtype.kind, current.name, rtype.group, causes)
        crd = self._crd_of(rtype)
        obj = admit(rtype, obj, crd)
        meta.pop("managedFields", None)
        if subresource or not field_manager:
            if "managedFields" in old_meta:
                meta["managedFields"] = old_meta["managedFields"]
        elif managed is not None:
            meta["managedFields"] = managed
        else:
            node = kind_schema(rtype, crd) or walking.Node({}, {})
            meta["managedFields"] = record_update(old, obj, node, field_manager, rtype.api_version)
        if not meta.get("managedFields"):
            meta.pop("managedFields", None)
        if spec_part(obj) != spec_part(old):
            meta["generation"] = int(old_meta.get("generation", 1)) + 1
        if obj == old:
            return current
        crd_types: list[ResourceType] | None = None
        if rtype.key == CRD_KEY:
            crd_types = self._check_crd(obj, current)
            obj["status"] = old.get("status") or crds.established_status(obj)
        if dry_run:
            return Entry(obj, current.rv)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._remove(rtype.key, current, obj)
        entry = self._commit(MODIFIED, rtype.key, obj, current)
        if crd_types is not None:
            self._serve_crd(entry, crd_types)
        return entry

    def delete(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        *,
        propagation: str = "Background",
        precondition_uid: str | None = None,
        precondition_rv: str | None = None,
        dry_run: bool = False,
    ) -> tuple[Entry, bool]:
        """Delete one object; returns its last version and whether it is gone already."""
        current = self.get(rtype, namespace, name)
        if precondition_uid not in (None, current.uid) or precondition_rv not in (
            None,
            str(current.rv),
        ):
            raise conflict(rtype.group, rtype.plural, name)
        if dry_run:
            return current, True
        return self._delete_entry(rtype.key, current, propagation)

    def delete_collection(
        self,
        rtype: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None,
        fields: FieldSelector | None,
    ) -> list[Entry]:
        page = self.list_page(rtype, namespace, labels, fields)
        deleted: list[Entry] = []
        for entry in page.entries:
            if self.stores[rtype.key].get(entry.namespace, entry.name) is entry:
                deleted.append(self._delete_entry(rtype.key, entry, "Background")[0])
        return deleted

    # -- CRDs ------------------------------------------------------------------------------

    def _storage_of(self, rtype: ResourceType) -> ResourceType:
        """The storage type when ``rtype`` is served through a conversion, else itself."""
        if converts(rtype.api_version, rtype.storage_api_version):
            return self.types[rtype.key]
        return rtype

    def _in_storage(self, rtype: ResourceType, body: Any) -> tuple[ResourceType, Any]:
        """A request body written to ``rtype`` as its storage type holds it."""
        storage = self._storage_of(rtype)
        if storage is rtype or not isinstance(body, dict):
            return rtype, body
        served = {**body, "apiVersion": rtype.api_version, "kind": rtype.kind}
        return storage, convert(served, storage.api_version)

    def _crd_of(self, rtype: ResourceType) -> dict[str, Any] | None:
        """The CRD defining ``rtype``; None for built-in types."""
        entry = self.stores[CRD_KEY].get("", rtype.key)
        return None if entry is None else entry.obj

    def _check_crd(self, obj: dict[str, Any], current: Entry | None) -> list[ResourceType]:
        types = crds.crd_types(obj)
        name = obj["metadata"]["name"]
        key = f"{obj['spec']['names']['plural']}.{obj['spec']['group']}"
        if current is None:
            if key in self.types:
                raise invalid(
                    "CustomResourceDefinition",
                    name,
                    CRD_GROUP,
                    [("spec.names.plural", f'Invalid value: "{key}" is already served')],
                )
        else:
            before = current.obj["spec"]
            scope_changed = before.get("scope") != obj["spec"].get("scope")
            if before.get("group") != obj["spec"]["group"] or scope_changed:
                raise invalid(
                    "CustomResourceDefinition",
                    name,
                    CRD_GROUP,
                    [("spec", "Invalid value: group and scope are immutable")],
                )
        return types
