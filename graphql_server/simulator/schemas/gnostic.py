"""The OpenAPI v2 document in the protobuf form kubectl asks for (gnostic ``openapi.v2``).

Owns encoding a swagger 2.0 document (as :mod:`documents` builds it) into the
``openapi.v2.Document`` protobuf message, the ``application/com.github.proto-openapi.
spec.v2@v1.0+protobuf`` encoding of ``/openapi/v2``: paths with their operations and
query parameters, definitions with their schemas, and vendor extensions as YAML (JSON is
YAML) in ``Any.yaml``, as real servers send them.
"""

from __future__ import annotations

from typing import Any

import orjson


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _bytes(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _str(field: int, value: str) -> bytes:
    return _bytes(field, value.encode()) if value else b""


def _bool(field: int, value: bool) -> bytes:
    return _varint(field << 3) + b"\x01" if value else b""


def _named(field: int, name: str, value: bytes) -> bytes:
    return _bytes(field, _str(1, name) + _bytes(2, value))


def _extensions(field: int, node: dict[str, Any]) -> bytes:
    out = b""
    for key, value in node.items():
        if key.startswith("x-"):
            out += _named(field, key, _str(2, orjson.dumps(value).decode()))
    return out


def schema(node: dict[str, Any]) -> bytes:
    """One ``openapi.v2.Schema``."""
    out = _str(1, node.get("$ref", "")) + _str(2, node.get("format", ""))
    out += _str(4, node.get("description", ""))
    for name in node.get("required") or []:
        out += _str(19, name)
    for value in node.get("enum") or []:
        out += _bytes(20, _str(2, orjson.dumps(value).decode()))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out += _bytes(21, _bytes(1, schema(extra)))
    elif isinstance(extra, bool):
        out += _bytes(21, _bool(2, extra))
    kind = node.get("type")
    if isinstance(kind, str):
        out += _bytes(22, _str(1, kind))
    items = node.get("items")
    if isinstance(items, dict):
        out += _bytes(23, _bytes(1, schema(items)))
    for part in node.get("allOf") or []:
        out += _bytes(24, schema(part))
    props = node.get("properties")
    if isinstance(props, dict) and props:
        out += _bytes(25, b"".join(_named(1, k, schema(v)) for k, v in props.items()))
    return out + _extensions(31, node)


def _parameter(param: dict[str, Any]) -> bytes:
    query = _str(2, param.get("in", "query")) + _str(4, param["name"])
    query += _str(6, param.get("type", "string")) + _bool(20, bool(param.get("uniqueItems")))
    return _bytes(8, _bytes(1, _bytes(2, _bytes(3, query))))


def _operation(op: dict[str, Any]) -> bytes:
    out = _str(5, op.get("operationId", ""))
    out += b"".join(_parameter(p) for p in op.get("parameters") or [])
    responses = b"".join(
        _named(1, code, _bytes(1, _str(1, response.get("description", ""))))
        for code, response in (op.get("responses") or {}).items()
    )
    out += _bytes(9, responses)
    return out + _extensions(13, op)


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "patch": 8}


def document(doc: dict[str, Any]) -> bytes:
    """The whole ``openapi.v2.Document``."""
    info = doc.get("info") or {}
    out = _str(1, doc.get("swagger", "2.0"))
    out += _bytes(2, _str(1, info.get("title", "")) + _str(2, info.get("version", "")))
    path_items = b""
    for path, item in (doc.get("paths") or {}).items():
        body = b"".join(
            _bytes(_METHODS[method], _operation(op))
            for method, op in item.items()
            if method in _METHODS
        )
        path_items += _named(2, path, body)
    out += _bytes(8, path_items)
    definitions = b"".join(
        _named(1, k, schema(v)) for k, v in (doc.get("definitions") or {}).items()
    )
    return out + _bytes(9, definitions)
