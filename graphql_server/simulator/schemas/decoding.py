"""The JSON types a built-in kind's fields take, as the apiserver's typed decoding checks.

Owns finding the first field of a built-in object whose JSON value cannot decode into
its Go type (a string where an integer belongs, a number in a map of strings, an object
where a list belongs), worded as Go's ``encoding/json`` words it: ``cannot unmarshal
string into Go struct field DeploymentSpec.spec.replicas of type int``. null decodes
into anything; untyped values (``IntOrString``, ``RawExtension``) take any value;
``resource.Quantity`` fields, strings in the OpenAPI schema, also take numbers. Go's
integer widths are not in the catalogue: integers are named ``int``.
"""

from __future__ import annotations

from typing import Any

from graphql_server.simulator.schemas import builtin

# Fields that are resource.Quantity (or maps of them): strings that also take numbers.
_QUANTITIES = frozenset(
    {
        ("MetricTarget", "averageValue"), ("MetricTarget", "value"),
        ("MetricValueStatus", "averageValue"), ("MetricValueStatus", "value"),
        ("EmptyDirVolumeSource", "sizeLimit"), ("ResourceFieldSelector", "divisor"),
        ("ResourceRequirements", "limits"), ("ResourceRequirements", "requests"),
        ("VolumeResourceRequirements", "limits"), ("VolumeResourceRequirements", "requests"),
        ("PodSpec", "overhead"), ("NodeStatus", "allocatable"), ("NodeStatus", "capacity"),
        ("PersistentVolumeSpec", "capacity"), ("PersistentVolumeClaimStatus", "capacity"),
        ("PersistentVolumeClaimStatus", "allocatedResources"),
        ("ContainerStatus", "allocatedResources"), ("PodStatus", "allocatedResources"),
    }
)  # fmt: skip


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if ref is None and isinstance(schema.get("allOf"), list) and schema["allOf"]:
        ref = schema["allOf"][0].get("$ref")
    return ref.rpartition("/")[2] if isinstance(ref, str) else None


# (innermost struct, field path from the root, JSON type found, Go type wanted)
Found = tuple[str, str, str, str]


class _Mismatch(Exception):
    def __init__(self, found: str, go_type: str) -> None:
        super().__init__(found)
        self.found = found
        self.go_type = go_type


def _go_type(schema: dict[str, Any]) -> str:
    name = _ref(schema)
    if name is not None:
        return name.rpartition(".")[2]
    kind = schema.get("type")
    if kind == "array":
        return "[]" + _go_type(schema.get("items") or {})
    if kind == "object":
        return "map[string]" + _go_type(schema.get("additionalProperties") or {})
    return {"string": "string", "integer": "int", "number": "float64", "boolean": "bool"}.get(
        str(kind), "interface {}"
    )


def _scalar_fits(kind: Any, value: Any, quantity: bool) -> bool:
    found = _json_type(value)
    if kind == "string":
        return found == "string" or (quantity and found == "number")
    if kind == "integer":
        return found == "number" and float(value).is_integer()
    if kind == "number":
        return found == "number"
    if kind == "boolean":
        return found == "bool"
    return True


def _check(
    schema: dict[str, Any], value: Any, defs: dict[str, dict[str, Any]], quantity: bool
) -> Found | None:
    """The first mismatch inside ``value``; raises :class:`_Mismatch` for ``value`` itself."""
    if value is None:
        return None
    name = _ref(schema)
    kind = schema.get("type")
    if name is not None or kind in ("array", "object"):
        wanted = list if kind == "array" else dict
        if not isinstance(value, wanted):
            raise _Mismatch(_json_type(value), _go_type(schema))
        if name is not None and isinstance(value, dict):
            return _struct(name, value, defs, root=False)
        below = schema.get("items" if kind == "array" else "additionalProperties") or {}
        for item in value if isinstance(value, list) else value.values():
            found = _check(below, item, defs, quantity)
            if found is not None:
                return found
        return None
    if not _scalar_fits(kind, value, quantity):
        raise _Mismatch(_json_type(value), _go_type(schema))
    return None


def _struct(
    name: str, value: dict[str, Any], defs: dict[str, dict[str, Any]], root: bool
) -> Found | None:
    struct = name.rpartition(".")[2]
    props = (defs.get(name) or {}).get("properties") or {}
    for key, item in value.items():
        schema = props.get(key)
        if not isinstance(schema, dict) or (root and key == "metadata"):
            continue
        try:
            found = _check(schema, item, defs, (struct, key) in _QUANTITIES)
        except _Mismatch as mismatch:
            return struct, key, mismatch.found, mismatch.go_type
        if found is not None:
            inner, path, found_type, go_type = found
            return inner, f"{key}.{path}", found_type, go_type
    return None


def type_error(api_version: str, kind: str, obj: dict[str, Any]) -> str | None:
    """Go's message for the first field of ``obj`` its type cannot hold; None if all fit."""
    name = builtin.definition_of(api_version, kind)
    if name is None:
        return None
    found = _struct(name, obj, builtin.definitions(True), root=True)
    if found is None:
        return None
    struct, path, found_type, go_type = found
    return (
        f"json: cannot unmarshal {found_type} into Go struct field {struct}.{path} "
        f"of type {go_type}"
    )
