"""Reading a CustomResourceDefinition into the kinds it serves, for generated components.

Owns turning a CRD's ``spec`` into one ``ServedKind`` per served version: the
``apiVersion`` (group/version), kind, scope, the version's ``openAPIV3Schema`` and its
``additionalPrinterColumns``. Tolerates malformed fields by leaving them out (a CRD
the API server accepted is well-formed; anything else is not ours to judge). Must not
hold state: ``services.crds`` keeps the registry in step with the stored CRDs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql_server.registry.definitions import PrinterColumn, canonical_schema
from graphql_server.registry.fields import API_VERSION, KIND

CRD_API_VERSION = "apiextensions.k8s.io/v1"
CRD_KIND = "CustomResourceDefinition"


@dataclass(frozen=True, slots=True)
class ServedKind:
    api_version: str
    kind: str
    namespaced: bool
    schema: str | None
    printer_columns: tuple[PrinterColumn, ...]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def served_kinds(spec: Any) -> list[ServedKind]:
    """The kinds a CRD's ``spec`` serves, one per served version; [] when unreadable."""
    spec = _mapping(spec)
    group, kind = spec.get("group"), _mapping(spec.get("names")).get("kind")
    if not isinstance(group, str) or not isinstance(kind, str) or not KIND.fullmatch(kind):
        return []
    namespaced = spec.get("scope") != "Cluster"
    found = []
    versions = spec.get("versions")
    for version in versions if isinstance(versions, list) else []:
        version = _mapping(version)
        name = version.get("name")
        api_version = f"{group}/{name}"
        if version.get("served") is False or not isinstance(name, str):
            continue
        if not API_VERSION.fullmatch(api_version):
            continue
        found.append(
            ServedKind(
                api_version=api_version,
                kind=kind,
                namespaced=namespaced,
                schema=_schema(version),
                printer_columns=_printer_columns(version.get("additionalPrinterColumns")),
            )
        )
    return found


def _schema(version: Mapping[str, Any]) -> str | None:
    schema = _mapping(version.get("schema")).get("openAPIV3Schema")
    if not isinstance(schema, Mapping):
        return None
    try:
        return canonical_schema(schema)
    except (TypeError, ValueError):
        return None


def _printer_columns(columns: Any) -> tuple[PrinterColumn, ...]:
    found = []
    for column in columns if isinstance(columns, list) else []:
        column = _mapping(column)
        name, kind, path = column.get("name"), column.get("type"), column.get("jsonPath")
        if not (isinstance(name, str) and isinstance(kind, str) and isinstance(path, str)):
            continue
        description, priority, shown = (
            column.get("description"),
            column.get("priority"),
            column.get("format"),
        )
        found.append(
            PrinterColumn(
                name=name,
                type=kind,
                json_path=path,
                description=description if isinstance(description, str) else "",
                priority=priority if type(priority) is int else 0,
                format=shown if isinstance(shown, str) else "",
            )
        )
    return tuple(found)
