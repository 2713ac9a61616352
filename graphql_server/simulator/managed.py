"""Field ownership: field sets, ``FieldsV1`` and ``managedFields`` entries.

Owns describing which fields of an object a value sets, as paths of ``FieldsV1`` keys
(``f:name`` for a field, ``k:{"name":"app"}`` for an element of a list keyed by its
merge keys, ``v:"x"`` for a member of a set, ``.`` for a keyed element itself, an
atomic list being one leaf), reading the value at such a path, and converting field
sets to and from the ``fieldsV1`` tries of ``metadata.managedFields``. Pure functions.
"""

from __future__ import annotations

from typing import Any

import orjson

from graphql_server.simulator.schemas.walking import Node

Path = tuple[str, ...]
FieldSet = set[Path]

# Metadata the server owns: never part of anyone's field set.
_SERVER_META = frozenset(
    ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation",
     "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")
)  # fmt: skip
_MISSING = object()


def _key(item: dict[str, Any], keys: list[str]) -> str | None:
    if not all(k in item for k in keys):
        return None
    return "k:" + orjson.dumps({k: item[k] for k in keys}).decode()


def field_set(value: Any, node: Node, prefix: Path = (), top: bool = True) -> FieldSet:
    """The paths of every field ``value`` sets (status excluded at the top)."""
    out: FieldSet = set()
    if not isinstance(value, dict):
        return out
    for name, item in value.items():
        if top and name in ("status", "apiVersion", "kind"):
            continue
        if top and name == "metadata" and isinstance(item, dict):
            item = {k: v for k, v in item.items() if k not in _SERVER_META and k != "name"}
            item.pop("namespace", None)
            if not item:
                continue
        path = (*prefix, f"f:{name}")
        child = node.child(name) or Node({}, node.defs)
        out |= _fields_of_value(item, child, path)
    return out


def _fields_of_value(item: Any, child: Node, path: Path) -> FieldSet:
    if isinstance(item, dict) and item:
        return field_set(item, child, path, top=False)
    if isinstance(item, list) and item:
        keys = child.map_keys
        if keys and all(isinstance(i, dict) for i in item):
            out: FieldSet = set()
            for element in item:
                key = _key(element, keys)
                if key is None:
                    return {path}
                out.add((*path, key, "."))
                out |= field_set(element, child.items(), (*path, key), top=False)
            return out
        if child.list_type == "set" and not any(isinstance(i, (dict, list)) for i in item):
            return {(*path, "v:" + orjson.dumps(i).decode()) for i in item}
    return {path}


def value_at(obj: Any, path: Path) -> Any:
    """The value at ``path`` in ``obj``; :data:`MISSING` when absent."""
    current = obj
    for step in path:
        if step == ".":
            continue
        if step.startswith("f:"):
            if not isinstance(current, dict) or step[2:] not in current:
                return _MISSING
            current = current[step[2:]]
        elif step.startswith("k:"):
            wanted = orjson.loads(step[2:])
            if not isinstance(current, list):
                return _MISSING
            current = next(
                (i for i in current if isinstance(i, dict)
                 and all(i.get(k) == v for k, v in wanted.items())),
                _MISSING,
            )  # fmt: skip
            if current is _MISSING:
                return _MISSING
        elif step.startswith("v:"):
            member = orjson.loads(step[2:])
            return member if isinstance(current, list) and member in current else _MISSING
    return current


MISSING = _MISSING


def present(obj: Any, path: Path) -> bool:
    return value_at(obj, path) is not _MISSING


def to_fields_v1(fields: FieldSet) -> dict[str, Any]:
    trie: dict[str, Any] = {}
    for path in sorted(fields):
        node = trie
        for step in path:
            node = node.setdefault(step, {})
    return trie


def from_fields_v1(trie: Any, prefix: Path = ()) -> FieldSet:
    out: FieldSet = set()
    if not isinstance(trie, dict):
        return out
    for step, sub in trie.items():
        path = (*prefix, step)
        if isinstance(sub, dict) and sub:
            out |= from_fields_v1(sub, path)
        else:
            out.add(path)
    return out


def describe(path: Path) -> str:
    """A path as the apiserver prints it in conflicts (``.spec.containers[name="a"].image``)."""
    text = ""
    for step in path:
        if step.startswith("f:"):
            text += "." + step[2:]
        elif step.startswith("k:"):
            keys = orjson.loads(step[2:])
            text += "[" + ",".join(f"{k}={orjson.dumps(v).decode()}" for k, v in keys.items()) + "]"
        elif step.startswith("v:"):
            text += f"[{step[2:]}]"
    return text
