"""Walking an OpenAPI schema alongside an object.

Owns :class:`Node`, one position in a kind's schema (references followed, ``allOf``
wrappers flattened), its children by property, list item and map value, and what the
patch and list markers say (merge key, patch strategy, list type). On top of it: which
fields of an object the schema does not declare (field validation) and which required
fields are missing. Custom kinds' schemas walk the same way as built-in ones.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from graphql_server.simulator.schemas import builtin

_ANY: dict[str, Any] = {}


class Node:
    """One schema position; ``defs`` resolves ``$ref``s."""

    __slots__ = ("_items", "_kids", "defs", "schema")

    def __init__(self, schema: dict[str, Any], defs: dict[str, dict[str, Any]]) -> None:
        self._kids: dict[str, Node | None] = {}
        self._items: Node | None = None
        merged = dict(schema)
        seen = 0
        while seen < 32:
            seen += 1
            ref = merged.pop("$ref", None)
            parts = merged.pop("allOf", None)
            if isinstance(ref, str):
                target = defs.get(ref.rpartition("/")[2], _ANY)
                merged = {**target, **merged}
            elif isinstance(parts, list) and parts and isinstance(parts[0], dict):
                for part in parts:
                    merged = {**part, **merged}
            else:
                break
        self.schema = merged
        self.defs = defs

    def _node(self, schema: Any) -> Node:
        return Node(schema if isinstance(schema, dict) else _ANY, self.defs)

    @property
    def open(self) -> bool:
        """Whether any field is accepted here (untyped, or preserving unknown fields)."""
        schema = self.schema
        if schema.get("x-kubernetes-preserve-unknown-fields") or schema.get(
            "x-kubernetes-int-or-string"
        ):
            return True
        if "properties" in schema or "additionalProperties" in schema:
            return False
        return schema.get("type") in (None, "")

    def child(self, key: str) -> Node | None:
        """The schema of field ``key``; None when this object does not declare it."""
        if key not in self._kids:
            self._kids[key] = self._child(key)
        return self._kids[key]

    def _child(self, key: str) -> Node | None:
        props = self.schema.get("properties")
        if isinstance(props, dict) and key in props:
            return self._node(props[key])
        extra = self.schema.get("additionalProperties")
        if isinstance(extra, dict):
            return self._node(extra)
        if extra is True or self.open:
            return Node(_ANY, self.defs)
        return None

    def items(self) -> Node:
        if self._items is None:
            self._items = self._node(self.schema.get("items"))
        return self._items

    @property
    def merge_key(self) -> str | None:
        key = self.schema.get("x-kubernetes-patch-merge-key")
        return key if isinstance(key, str) and key else None

    @property
    def strategies(self) -> set[str]:
        value = self.schema.get("x-kubernetes-patch-strategy")
        return set(value.split(",")) if isinstance(value, str) else set()

    @property
    def map_keys(self) -> list[str]:
        keys = self.schema.get("x-kubernetes-list-map-keys")
        if isinstance(keys, list) and keys:
            return [str(k) for k in keys]
        key = self.merge_key
        return [key] if key else []

    @property
    def list_type(self) -> str:
        value = self.schema.get("x-kubernetes-list-type")
        if isinstance(value, str):
            return value
        return "set" if "merge" in self.strategies else "atomic"

    @property
    def required(self) -> list[str]:
        value = self.schema.get("required")
        return [str(v) for v in value] if isinstance(value, list) else []


@functools.cache
def builtin_root(api_version: str, kind: str) -> Node | None:
    """The schema of a built-in kind; None for kinds outside the catalogue (shared: its
    children are resolved once and kept)."""
    name = builtin.definition_of(api_version, kind)
    if name is None:
        return None
    defs = builtin.definitions(True)
    return Node(defs[name], defs)


def custom_root(schema: dict[str, Any]) -> Node:
    return Node(schema, builtin.definitions(True))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def unknown_fields(node: Node, value: Any, path: str = "") -> Iterator[str]:
    """Paths of the fields in ``value`` that ``node`` does not declare."""
    if isinstance(value, dict):
        if node.open:
            return
        for key, item in value.items():
            child = node.child(key)
            if child is None:
                yield _join(path, key)
            else:
                yield from unknown_fields(child, item, _join(path, key))
    elif isinstance(value, list) and node.schema.get("type") == "array":
        items = node.items()
        for index, item in enumerate(value):
            yield from unknown_fields(items, item, f"{path}[{index}]")


def missing_required(node: Node, value: Any, path: str = "") -> Iterator[str]:
    """Paths of required fields absent from ``value`` (status is the server's own)."""
    if isinstance(value, dict):
        for key in node.required:
            if value.get(key) is None:
                yield _join(path, key)
        for key, item in value.items():
            if not path and key == "status":
                continue
            child = node.child(key)
            if child is not None:
                yield from missing_required(child, item, _join(path, key))
    elif isinstance(value, list) and node.schema.get("type") == "array":
        items = node.items()
        for index, item in enumerate(value):
            yield from missing_required(items, item, f"{path}[{index}]")
