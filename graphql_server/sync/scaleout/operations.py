"""The writer operations as they travel on the operations stream.

Owns the JSON form of what a discovery agent sends the store writer: the writer's
own operations (``Upsert`` of raw rows, ``Delete``, ``Sweep``, ``Checkpoint``,
``Reset``) and the progress around them (``Hello`` when a holder starts on a cluster,
``Track``, ``Report``, ``Forget``, ``Served``, ``Stopped``). ``encode_within`` cuts an
operation that would not fit in one message into several that do: rows into several upserts, a
sweep's list of uids into numbered parts of one sweep. Pure functions, no I/O.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from graphql_server.errors import BadInput
from graphql_server.kube.discovery import ResourceType
from graphql_server.store.resources import COLUMNS, TIME_COLUMNS, ResourceRow
from graphql_server.sync.writer import Checkpoint, Delete, Operation, Reset, Sweep, Upsert


@dataclass(frozen=True, slots=True)
class Hello:
    """A holder starts on a cluster: its name, API server and version."""

    cluster_id: str
    name: str
    server: str
    version: str


@dataclass(frozen=True, slots=True)
class Track:
    cluster_id: str
    resource_type: ResourceType


CLUSTER_REPORT = ""  # the type name of a Report about the whole cluster


@dataclass(frozen=True, slots=True)
class Report:
    cluster_id: str
    type_name: str
    phase: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Forget:
    cluster_id: str
    type_name: str


@dataclass(frozen=True, slots=True)
class Served:
    """Every type the holder watches: stored types not among them are gone."""

    cluster_id: str
    type_names: frozenset[str]


@dataclass(frozen=True, slots=True)
class Stopped:
    cluster_id: str


@dataclass(frozen=True, slots=True)
class SweepPart:
    """Part ``part`` (from 1) of ``parts`` of one sweep whose uids span several messages."""

    cluster_id: str
    resource_type: ResourceType
    sweep_id: str
    part: int
    parts: int
    keep: frozenset[str]
    checkpoint: str | None


Progress = Hello | Track | Report | Forget | Served | Stopped
Item = Operation | Progress | SweepPart


def _type(rtype: ResourceType) -> dict[str, Any]:
    return {
        "g": rtype.group,
        "v": rtype.version,
        "k": rtype.kind,
        "p": rtype.plural,
        "n": rtype.namespaced,
    }


def _rtype(body: dict[str, Any]) -> ResourceType:
    return ResourceType(
        group=body["g"],
        version=body["v"],
        kind=body["k"],
        plural=body["p"],
        namespaced=bool(body["n"]),
    )


def _row(row: ResourceRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in COLUMNS}


def _restore_row(body: dict[str, Any]) -> ResourceRow:
    values: dict[str, Any] = {name: body.get(name) for name in COLUMNS}
    for name in TIME_COLUMNS:
        if isinstance(values[name], str):
            values[name] = datetime.fromisoformat(values[name])
    return ResourceRow(**values)


def cluster_of(item: Item) -> str:
    if isinstance(item, Upsert):
        return item.rows[0].cluster_id if item.rows else ""
    return item.cluster_id


def to_dict(item: Item) -> dict[str, Any]:
    match item:
        case Upsert():
            return {
                "op": "upsert",
                "type": _type(item.resource_type),
                "rows": [_row(r) for r in item.rows],
                "checkpoint": item.checkpoint,
            }
        case Delete():
            return {
                "op": "delete",
                "cluster": item.cluster_id,
                "type": _type(item.resource_type),
                "uid": item.uid,
                "checkpoint": item.checkpoint,
            }
        case Sweep():
            return {
                "op": "sweep",
                "cluster": item.cluster_id,
                "type": _type(item.resource_type),
                "keep": sorted(item.keep),
                "checkpoint": item.checkpoint,
            }
        case SweepPart():
            return {
                "op": "sweep-part",
                "cluster": item.cluster_id,
                "type": _type(item.resource_type),
                "id": item.sweep_id,
                "part": item.part,
                "parts": item.parts,
                "keep": sorted(item.keep),
                "checkpoint": item.checkpoint,
            }
        case Reset():
            return {"op": "reset", "cluster": item.cluster_id}
        case Checkpoint():
            return {
                "op": "checkpoint",
                "cluster": item.cluster_id,
                "type": _type(item.resource_type),
                "version": item.resource_version,
            }
        case Hello():
            return {
                "op": "hello",
                "cluster": item.cluster_id,
                "name": item.name,
                "server": item.server,
                "version": item.version,
            }
        case Track():
            return {"op": "track", "cluster": item.cluster_id, "type": _type(item.resource_type)}
        case Report():
            return {
                "op": "report",
                "cluster": item.cluster_id,
                "name": item.type_name,
                "phase": item.phase,
                "error": item.error,
            }
        case Forget():
            return {"op": "forget", "cluster": item.cluster_id, "name": item.type_name}
        case Served():
            return {"op": "served", "cluster": item.cluster_id, "names": sorted(item.type_names)}
        case Stopped():
            return {"op": "stopped", "cluster": item.cluster_id}
    raise BadInput(f"cannot encode {type(item).__name__}")


def encode(item: Item) -> bytes:
    return orjson.dumps(to_dict(item))


def decode(data: bytes) -> Item:
    try:
        body = orjson.loads(data)
        op = body["op"]
        match op:
            case "upsert":
                return Upsert(
                    _rtype(body["type"]),
                    [_restore_row(r) for r in body["rows"]],
                    body.get("checkpoint"),
                )
            case "delete":
                return Delete(
                    body["cluster"], _rtype(body["type"]), body["uid"], body.get("checkpoint")
                )
            case "sweep":
                return Sweep(
                    body["cluster"], _rtype(body["type"]), set(body["keep"]), body.get("checkpoint")
                )
            case "sweep-part":
                return SweepPart(
                    body["cluster"],
                    _rtype(body["type"]),
                    str(body["id"]),
                    int(body["part"]),
                    int(body["parts"]),
                    frozenset(body["keep"]),
                    body.get("checkpoint"),
                )
            case "checkpoint":
                return Checkpoint(body["cluster"], _rtype(body["type"]), body["version"])
            case "reset":
                return Reset(body["cluster"])
            case "hello":
                return Hello(body["cluster"], body["name"], body["server"], body["version"])
            case "track":
                return Track(body["cluster"], _rtype(body["type"]))
            case "report":
                return Report(body["cluster"], body["name"], body["phase"], body.get("error"))
            case "forget":
                return Forget(body["cluster"], body["name"])
            case "served":
                return Served(body["cluster"], frozenset(body["names"]))
            case "stopped":
                return Stopped(body["cluster"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"not an operation: {exc}") from None
    raise BadInput(f"unknown operation {op!r}")


UID_BYTES = 48  # a uid as it appears in a sweep's JSON list, with room to spare


def encode_within(item: Item, limit: int) -> list[bytes]:
    """``item`` encoded as entries of at most ``limit`` bytes where possible: the rows
    of an upsert spread over several upserts, a sweep's uids over numbered parts (a
    single row may still be larger: the caller compresses or trims it)."""
    data = encode(item)
    if len(data) <= limit:
        return [data]
    if isinstance(item, Upsert) and len(item.rows) > 1:
        middle = len(item.rows) // 2
        first = Upsert(item.resource_type, item.rows[:middle], None)
        rest = Upsert(item.resource_type, item.rows[middle:], item.checkpoint)
        return encode_within(first, limit) + encode_within(rest, limit)
    if isinstance(item, Sweep):
        per_part = max(1, (limit // 2) // UID_BYTES)
        uids = sorted(item.keep)
        chunks = [uids[i : i + per_part] for i in range(0, len(uids), per_part)] or [[]]
        sweep_id = uuid.uuid4().hex
        return [
            encode(
                SweepPart(
                    item.cluster_id,
                    item.resource_type,
                    sweep_id,
                    n,
                    len(chunks),
                    frozenset(chunk),
                    item.checkpoint,
                )
            )
            for n, chunk in enumerate(chunks, start=1)
        ]
    return [data]


def trimmed(item: Upsert) -> Upsert:
    """A one-row upsert too large for any message, reduced to the object's identity
    and metadata (the row says it was trimmed)."""
    return Upsert(
        item.resource_type,
        [
            replace(row, spec=None, status=None, annotations={}, extra={"trimmed": True})
            for row in item.rows
        ],
        item.checkpoint,
    )
