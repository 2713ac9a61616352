"""Server-side printing: ``Table`` responses for clients that ask for them (kubectl).

Owns turning entries into a ``meta.k8s.io/v1`` Table with a few columns per kind and the
object metadata kubectl needs for its namespace column. Read-only.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.store import Entry


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def _age(timestamp: Any) -> str:
    if not isinstance(timestamp, str):
        return "<unknown>"
    try:
        created = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return "<unknown>"
    seconds = max(0, int(time.time()) - created)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _column(name: str, description: str, fmt: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "type": "string",
        "format": fmt,
        "description": description,
        "priority": 0,
    }


def _pod_cells(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    containers = (obj.get("spec") or {}).get("containers") or []
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for s in statuses if isinstance(s, dict) and s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses if isinstance(s, dict))
    return [f"{ready}/{len(containers)}", status.get("phase", "Unknown"), restarts]


def table(
    rtype: ResourceType, entries: list[Entry], rv: int, include_object: str
) -> dict[str, Any]:
    columns = [_column("Name", "Name of the object", "name")]
    if rtype.kind == "Pod":
        columns += [
            _column("Ready", "Ready containers"),
            _column("Status", "Pod phase"),
            {**_column("Restarts", "Container restarts"), "type": "integer"},
        ]
    columns.append(_column("Age", "Time since creation"))
    rows: list[dict[str, Any]] = []
    for entry in entries:
        obj = entry.obj
        meta = obj["metadata"]
        cells: list[Any] = [meta["name"]]
        if rtype.kind == "Pod":
            cells += _pod_cells(obj)
        cells.append(_age(meta.get("creationTimestamp")))
        row: dict[str, Any] = {"cells": cells}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(rv)},
        "columnDefinitions": columns,
        "rows": rows,
    }
