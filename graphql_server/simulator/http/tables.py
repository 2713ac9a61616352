"""Server-side printing: ``Table`` responses for clients that ask for them (kubectl).

Owns turning entries into a ``meta.k8s.io/v1`` Table: Name, the kind's columns (see
:mod:`printers` and :mod:`printers_more`; ``-o wide`` columns have priority 1), Age;
or a custom resource's ``additionalPrinterColumns``; or the default Name and Created At
for kinds without a printer; with the row objects (``includeObject``) kubectl needs for
its namespace column, for lists, single objects and watch events. Read-only.
"""

from __future__ import annotations

from typing import Any

import orjson

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.http.printers import (
    AFTER_AGE,
    PRINTERS,
    Cells,
    Column,
    age,
    crd_cell,
    crd_columns,
)
from graphql_server.simulator.http.printers_more import MORE_AFTER_AGE, MORE_PRINTERS
from graphql_server.simulator.store import Entry

ALL_PRINTERS = {**PRINTERS, **MORE_PRINTERS}
ALL_AFTER_AGE = {**AFTER_AGE, **MORE_AFTER_AGE}
# Kinds the apiserver prints with its default table: Name and Created At.
CREATED_AT = ("CustomResourceDefinition", "Role", "ClusterRole")


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def _column(name: str, kind: str = "string", priority: int = 0, fmt: str = "") -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": name, "priority": priority}


def _layout(rtype: ResourceType, crd: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Cells]:
    name = _column("Name", fmt="name")
    name["description"] = "Name must be unique within a namespace."
    if crd is not None:
        columns = crd_columns(crd, rtype.version)
        if columns is not None:
            defs = [name] + [
                {**_column(str(c.get("name", "")), str(c.get("type", "string")),
                           int(c.get("priority", 0)), str(c.get("format", ""))),
                 "description": str(c.get("description", ""))}
                for c in columns
            ]  # fmt: skip
            return defs, lambda o: [o["metadata"]["name"]] + [crd_cell(c, o) for c in columns]
    if rtype.kind in CREATED_AT and crd is None:
        created = {**_column("Created At", "date"), "description": "creationTimestamp"}
        return [name, created], lambda o: [
            o["metadata"]["name"],
            o["metadata"].get("creationTimestamp"),
        ]
    extra: list[Column] = []
    wide: list[Column] = []
    after: list[Column] = []
    base: Cells = lambda o: []  # noqa: E731
    wide_cells: Cells = lambda o: []  # noqa: E731
    after_cells: Cells = lambda o: []  # noqa: E731
    if rtype.kind in ALL_PRINTERS and crd is None:
        extra, base, wide, wide_cells = ALL_PRINTERS[rtype.kind]
        after, after_cells = ALL_AFTER_AGE.get(rtype.kind, ([], lambda o: []))
    defs = [name] + [_column(*c) for c in extra] + [_column("Age")]
    defs += [_column(*c) for c in after] + [_column(*c) for c in wide]

    def cells(obj: dict[str, Any]) -> list[Any]:
        meta = obj["metadata"]
        return [
            meta["name"],
            *base(obj),
            age(meta.get("creationTimestamp")),
            *after_cells(obj),
            *wide_cells(obj),
        ]

    return defs, cells


def table(
    rtype: ResourceType,
    entries: list[Entry],
    rv: int,
    include_object: str,
    crd: dict[str, Any] | None = None,
) -> dict[str, Any]:
    columns, cells = _layout(rtype, crd)
    rows: list[dict[str, Any]] = []
    for entry in entries:
        obj = entry.obj
        row: dict[str, Any] = {"cells": cells(obj)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(rv)},
        "columnDefinitions": columns,
        "rows": rows,
    }


def table_events(
    data: bytes, rtype: ResourceType, include_object: str, crd: dict[str, Any] | None
) -> bytes:
    """Watch event lines with each object as a one-row Table (``kubectl get -w``)."""
    out = []
    for line in data.split(b"\n"):
        if not line:
            continue
        event = orjson.loads(line)
        obj = event.get("object")
        if event.get("type") in ("ADDED", "MODIFIED", "DELETED") and isinstance(obj, dict):
            rv = int((obj.get("metadata") or {}).get("resourceVersion") or 0)
            event["object"] = table(rtype, [Entry(obj, rv)], rv, include_object, crd)
        out.append(orjson.dumps(event) + b"\n")
    return b"".join(out)
