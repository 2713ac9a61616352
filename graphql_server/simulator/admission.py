"""Schema admission of written objects: pruning, defaults, required fields, CRD schemas.

Owns finding the schema of a served type (the built-in catalogue, or the CRD's
``openAPIV3Schema`` for the served version) and checking a new object against it the
way the apiserver does: a built-in object whose field values do not fit their types is
a 400, as typed decoding refuses it (``schemas.decoding``); objects lose the fields
their schema does not declare (as typed decoding and CRD pruning drop them); built-in
kinds get their defaults, must carry their required fields and pass their semantic
checks (``workload_checks``); custom resources take their schema's defaults and must
satisfy it (422 with one cause per field path).
"""

from __future__ import annotations

from typing import Any

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.defaults import apply_defaults
from graphql_server.simulator.schemas import (
    builtin,
    decoding,
    defaulting,
    documents,
    validation,
    walking,
)
from graphql_server.simulator.status import bad_request, invalid
from graphql_server.simulator.workload_checks import workload_causes


def kind_schema(rtype: ResourceType, crd: dict[str, Any] | None) -> walking.Node | None:
    node = walking.builtin_root(rtype.api_version, rtype.kind)
    if node is not None or crd is None:
        return node
    schema = documents.crd_version_schema(crd, rtype.version, builtin.V3_PREFIX)
    return walking.custom_root(schema)


def prune(node: walking.Node, value: Any) -> Any:
    """``value`` without the fields ``node`` does not declare (metadata kept whole)."""
    if isinstance(value, dict):
        if node.open:
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            child = node.child(key)
            if child is not None:
                out[key] = item if key == "metadata" else prune(child, item)
        return out
    if isinstance(value, list) and node.schema.get("type") == "array":
        items = node.items()
        return [prune(items, item) for item in value]
    return value


def admit(rtype: ResourceType, obj: dict[str, Any], crd: dict[str, Any] | None) -> dict[str, Any]:
    """The object as stored; 422 when it violates its schema."""
    node = kind_schema(rtype, crd)
    if node is None:
        return obj
    name = str(obj["metadata"].get("name") or "")
    if crd is None:
        error = decoding.type_error(rtype.api_version, rtype.kind, obj)
        if error is not None:
            raise bad_request(
                f'{rtype.kind} in version "{rtype.version}" cannot be handled as a '
                f"{rtype.kind}: {error}"
            )
        obj = dict(prune(node, obj))
        apply_defaults(rtype.kind, obj)
        missing = [
            path for path in walking.missing_required(node, obj) if not path.startswith("metadata")
        ]
        causes = [(path, "Required value") for path in missing]
        causes += [c for c in workload_causes(rtype.kind, obj) if c not in causes]
        if causes:
            raise invalid(rtype.kind, name, rtype.group, causes)
        return obj
    pruned = defaulting.apply_defaults(node, prune(node, obj))
    causes = list(validation.validate(node, pruned))
    if causes:
        raise invalid(rtype.kind, name, rtype.group, causes)
    return dict(pruned)
