"""Strategic merge patch, as the apiserver applies it to built-in kinds.

Owns applying a strategic merge patch to a decoded object guided by the kind's schema:
maps merge key by key (``null`` deletes), lists of objects with a patch merge key merge
element by element (``$patch: delete`` removes one, ``$patch: replace`` replaces the
whole list), lists with the ``merge`` strategy of scalars are unions (with
``$deleteFromPrimitiveList/<field>``), other lists are replaced; ``$patch:
replace|delete|merge`` on maps, ``$retainKeys`` and ``$setElementOrder/<field>``.
Inputs are never mutated. A bad patch raises :class:`PatchError`.
"""

from __future__ import annotations

import copy
from typing import Any

from graphql_server.simulator.patching import PatchError
from graphql_server.simulator.schemas.walking import Node

_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
_DELETED = object()


def strategic_merge_patch(target: dict[str, Any], patch: dict[str, Any], node: Node) -> Any:
    result = _merge_map(target, patch, node)
    if result is _DELETED:
        return {}
    return result


def _clean(value: Any) -> Any:
    """A patch value as data: directives dropped, deleted list elements left out."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [
            _clean(v)
            for v in value
            if not (isinstance(v, dict) and v.get("$patch") in ("delete", "replace"))
        ]
    return value


def _merge_map(original: Any, patch: dict[str, Any], node: Node) -> Any:
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETED
    if directive == "replace":
        return _clean(patch)
    if directive not in (None, "merge"):
        raise PatchError(f"unknown patch directive {directive!r} in a map", malformed=True)
    result: dict[str, Any] = dict(original) if isinstance(original, dict) else {}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key.startswith(_ORDER):
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list", malformed=True)
            orders[key[len(_ORDER) :]] = value
        elif key.startswith(_DELETE_PRIMITIVE):
            field = key[len(_DELETE_PRIMITIVE) :]
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list", malformed=True)
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in value]
        elif key.startswith("$"):
            continue
        elif value is None:
            result.pop(key, None)
        else:
            child = node.child(key) or Node({}, node.defs)
            merged = _merge_value(result.get(key), value, child)
            if merged is _DELETED:
                result.pop(key, None)
            else:
                result[key] = merged
    retain = patch.get("$retainKeys")
    if retain is not None:
        if not isinstance(retain, list):
            raise PatchError("$retainKeys must be a list", malformed=True)
        result = {k: v for k, v in result.items() if k in retain}
    for field, order in orders.items():
        listed = node.child(field)
        if isinstance(result.get(field), list) and listed is not None:
            result[field] = _ordered(result[field], order, listed.merge_key)
    return result


def _merge_value(original: Any, value: Any, node: Node) -> Any:
    if isinstance(value, dict):
        return _merge_map(original, value, node)
    if isinstance(value, list):
        return _merge_list(original if isinstance(original, list) else [], value, node)
    return value


def _merge_list(original: list[Any], patch: list[Any], node: Node) -> Any:
    if "merge" not in node.strategies:
        return _clean(patch)
    if any(isinstance(v, dict) and v.get("$patch") == "replace" for v in patch):
        return _clean(patch)
    key = node.merge_key
    if key is None:
        result = list(original)
        for item in patch:
            if item not in result:
                result.append(copy.deepcopy(item))
        return result
    result = [copy.deepcopy(v) for v in original]
    items = node.items()
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(f"list items must be objects to merge on {key!r}", malformed=True)
        if key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        at = next(
            (i for i, v in enumerate(result) if isinstance(v, dict) and v.get(key) == item[key]),
            None,
        )
        if item.get("$patch") == "delete":
            result = [v for v in result if not (isinstance(v, dict) and v.get(key) == item[key])]
        elif at is None:
            result.append(_clean(item))
        else:
            result[at] = _merge_map(result[at], item, items)
    return result


def _ordered(values: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def ident(value: Any) -> Any:
        if key is not None and isinstance(value, dict):
            return value.get(key)
        return value

    wanted = [ident(v) for v in order]
    position = {repr(k): i for i, k in enumerate(wanted)}
    listed = [v for v in values if repr(ident(v)) in position]
    listed.sort(key=lambda v: position[repr(ident(v))])
    rest = [v for v in values if repr(ident(v)) not in position]
    return listed + rest
