"""Structural defaulting of custom resources from their CRD's schema.

Owns filling in the ``default`` values a CRD's ``openAPIV3Schema`` declares, as the
apiserver does when it decodes a custom resource: a property missing from an object
(or null where the schema does not allow null) takes a copy of its default, and
defaulting goes on inside the values present (defaulted ones included), through
``properties``, ``additionalProperties`` and array ``items``. ``metadata`` is not
touched.
"""

from __future__ import annotations

import copy
from typing import Any

from graphql_server.simulator.schemas.walking import Node


def _properties(node: Node) -> dict[str, Any]:
    props = node.schema.get("properties")
    return props if isinstance(props, dict) else {}


def apply_defaults(node: Node, value: Any, top: bool = True) -> Any:
    """``value`` with the defaults of ``node``'s schema filled in (a new object)."""
    if isinstance(value, dict):
        out = dict(value)
        for key, schema in _properties(node).items():
            if (top and key == "metadata") or not isinstance(schema, dict):
                continue
            child = node.child(key)
            if child is None or "default" not in child.schema:
                continue
            if key not in out or (out[key] is None and not child.schema.get("nullable")):
                out[key] = copy.deepcopy(child.schema["default"])
        for key, item in out.items():
            if top and key == "metadata":
                continue
            child = node.child(key)
            if child is not None:
                out[key] = apply_defaults(child, item, top=False)
        return out
    if isinstance(value, list) and node.schema.get("type") == "array":
        items = node.items()
        return [apply_defaults(items, item, top=False) for item in value]
    return value
