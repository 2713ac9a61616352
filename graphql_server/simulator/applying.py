"""Server-side apply and the field ownership every write records in ``managedFields``.

Owns the bookkeeping of field managers: an ``Update`` (create, replace, patch) gives its
manager the fields it changed and takes them from everyone else; an ``Apply`` merges
the manager's configuration into the live object (maps by key, lists of objects by their
merge keys, sets as unions, anything else replaced), removes the fields the manager
applied before but no longer does and nobody else owns, and refuses with 409 to change
a field another manager owns to a different value, unless forced, when it takes the
field over. kubectl's own applies (manager ``kubectl``) may take over the fields its
client-side applies set (in ``last-applied-configuration``, which they keep current),
so moving an object to server-side apply does not conflict. Pure functions over
decoded objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from graphql_server.simulator.managed import (
    MISSING,
    FieldSet,
    Path,
    describe,
    field_set,
    from_fields_v1,
    present,
    to_fields_v1,
    value_at,
)
from graphql_server.simulator.objects import rfc3339
from graphql_server.simulator.schemas.walking import Node
from graphql_server.simulator.status import ApiError

APPLY = "Apply"
UPDATE = "Update"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# The manager whose applies upgrade objects from client-side apply (kubectl's default).
UPGRADER = "kubectl"


@dataclass(slots=True)
class Manager:
    manager: str
    operation: str
    api_version: str
    time: str
    fields: FieldSet
    subresource: str = ""

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(self.fields),
        }
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def read_managers(meta: dict[str, Any]) -> list[Manager]:
    out = []
    for entry in meta.get("managedFields") or []:
        if isinstance(entry, dict) and isinstance(entry.get("manager"), str):
            out.append(
                Manager(
                    entry["manager"],
                    str(entry.get("operation") or UPDATE),
                    str(entry.get("apiVersion") or ""),
                    str(entry.get("time") or ""),
                    from_fields_v1(entry.get("fieldsV1")),
                    str(entry.get("subresource") or ""),
                )
            )
    return out


def _finish(managers: list[Manager], obj: dict[str, Any]) -> list[dict[str, Any]]:
    kept = []
    for manager in managers:
        manager.fields = {p for p in manager.fields if present(obj, p)}
        if manager.fields:
            kept.append(manager.to_dict())
    return kept


def _own(managers: list[Manager], name: str, operation: str, api_version: str) -> Manager:
    for manager in managers:
        if (manager.manager, manager.operation) == (name, operation) and not manager.subresource:
            manager.api_version = api_version
            manager.time = rfc3339()
            return manager
    created = Manager(name, operation, api_version, rfc3339(), set())
    managers.append(created)
    return created


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    node: Node,
    manager: str,
    api_version: str,
) -> list[dict[str, Any]]:
    """``new``'s managedFields after ``manager`` wrote it over ``old``."""
    managers = read_managers((old or {}).get("metadata") or {})
    changed = {
        path
        for path in field_set(new, node)
        if old is None or value_at(old, path) != value_at(new, path)
    }
    if changed:
        for other in managers:
            other.fields -= changed
        _own(managers, manager, UPDATE, api_version).fields |= changed
    return _finish(managers, new)


def _merge(live: Any, config: Any, node: Node) -> Any:
    if isinstance(config, dict):
        result = dict(live) if isinstance(live, dict) else {}
        for key, value in config.items():
            if value is None:
                result.pop(key, None)
            else:
                child = node.child(key) or Node({}, node.defs)
                result[key] = _merge(result.get(key), value, child)
        return result
    if isinstance(config, list) and isinstance(live, list):
        keys = node.map_keys
        if keys and all(isinstance(i, dict) for i in config + live):
            merged = list(live)
            for item in config:
                at = next(
                    (i for i, v in enumerate(merged) if all(v.get(k) == item.get(k) for k in keys)),
                    None,
                )
                if at is None:
                    merged.append(item)
                else:
                    merged[at] = _merge(merged[at], item, node.items())
            return merged
        if node.list_type == "set":
            return live + [i for i in config if i not in live]
    return config


def _remove(obj: Any, path: Path) -> None:
    if not path:
        return
    if path[-1] == ".":
        parent, last = value_at(obj, path[:-2]), path[-2]
    else:
        parent, last = value_at(obj, path[:-1]), path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif isinstance(parent, list):
        target = value_at(obj, path[:-1] if path[-1] == "." else path)
        if target is not MISSING:
            parent[:] = [i for i in parent if i != target]


def _last_applied(live: dict[str, Any]) -> Any:
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    if not isinstance(text, str) or not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _upgrading(
    live: dict[str, Any],
    config: dict[str, Any],
    node: Node,
    manager: str,
    conflicts: list[tuple[Path, Manager]],
) -> bool:
    """Whether kubectl's first server-side apply over client-side apply may take the
    conflicting fields: all of them are in the last applied configuration."""
    if manager != UPGRADER:
        return False
    last = _last_applied(live)
    if not isinstance(last, dict):
        return False
    before = field_set(last, node)
    return all(path in before for path, _ in conflicts)


def _drop_emptied(obj: Any, path: Path) -> None:
    """Remove the maps and lists a removal left empty (they serialise as absent)."""
    for end in range(len(path) - 1, 0, -1):
        prefix = path[:end]
        if not prefix[-1].startswith("f:") or value_at(obj, prefix) not in ({}, []):
            return
        _remove(obj, prefix)


def _conflict_error(conflicts: list[tuple[Path, Manager]]) -> ApiError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{m.manager}" using {m.api_version}',
            "field": describe(path),
        }
        for path, m in conflicts
    ]
    listed = "\n".join(f"- {c['message']}: {c['field']}" for c in causes)
    count = len(causes)
    plural = "conflict" if count == 1 else "conflicts"
    if count == 1:
        message = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
    else:
        message = f"Apply failed with {count} {plural}:\n{listed}"
    return ApiError(409, "Conflict", message, {"causes": causes})


def apply_config(
    live: dict[str, Any],
    config: dict[str, Any],
    node: Node,
    manager: str,
    api_version: str,
    force: bool,
) -> dict[str, Any]:
    """``live`` with ``manager``'s applied ``config``; 409 on conflicts unless forced."""
    managers = read_managers(live.get("metadata") or {})
    applied = field_set(config, node)
    conflicts = [
        (path, other)
        for other in managers
        if other.manager != manager
        for path in sorted(applied & other.fields)
        if path[-1] != "." and value_at(live, path) != value_at(config, path)
    ]
    if conflicts and not force and not _upgrading(live, config, node, manager, conflicts):
        raise _conflict_error(conflicts)
    for path, other in conflicts:
        other.fields.discard(path)
    merged = _merge(live, config, node)
    mine = _own(managers, manager, APPLY, api_version)
    others: FieldSet = set().union(*(m.fields for m in managers if m is not mine))
    for path in sorted(mine.fields - applied - others, key=len, reverse=True):
        _remove(merged, path)
        _drop_emptied(merged, path)
    mine.fields = applied
    meta = merged.setdefault("metadata", {})
    annotations = meta.get("annotations")
    if manager == UPGRADER and isinstance(annotations, dict) and LAST_APPLIED in annotations:
        # kubectl's own server-side applies keep client-side apply's record current.
        annotations[LAST_APPLIED] = orjson.dumps(config).decode()
    meta["managedFields"] = _finish(managers, merged)
    return dict(merged)


def applied_managers(config: dict[str, Any], node: Node, manager: str, api_version: str) -> Any:
    """The managedFields of an object created by applying ``config``."""
    entry = Manager(manager, APPLY, api_version, rfc3339(), field_set(config, node))
    return [entry.to_dict()] if entry.fields else []
