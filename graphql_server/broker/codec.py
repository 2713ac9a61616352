"""The wire form of the event dataclasses (``graphql_server.events``) on NATS.

Owns turning each message a broker carries (resource, sync-status, connection and
log events and changes, cluster commands, ``Missed`` markers) into compact JSON bytes and back,
exactly: a decoded message equals the one encoded, datetimes included. Knows
nothing of NATS itself and performs no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson

from graphql_server.errors import BadInput
from graphql_server.events import (
    ClusterCommand,
    ConnectionEvent,
    LogChange,
    LogEntry,
    Missed,
    ResourceEvent,
    ResourceEventType,
    SyncStatusEvent,
)


def _times(mapping: Mapping[str, Any]) -> list[str]:
    """Keys of ``mapping`` holding datetimes, which JSON turns into text."""
    return [key for key, value in mapping.items() if isinstance(value, datetime)]


def _restore(mapping: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str):
            mapping[key] = datetime.fromisoformat(value)
    return mapping


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _resource(message: ResourceEvent) -> dict[str, Any]:
    return {
        "k": "resource",
        "type": message.type.value,
        "cluster_id": message.cluster_id,
        "uid": message.uid,
        "resource": message.resource,
        "times": _times(message.resource),
        "previous_labels": message.previous_labels,
    }


def _sync(message: SyncStatusEvent) -> dict[str, Any]:
    return {
        "k": "sync",
        "cluster_id": message.cluster_id,
        "phase": message.phase,
        "resource_count": message.resource_count,
        "kinds": list(message.kinds),
        "error": message.error,
    }


def _connection(message: ConnectionEvent) -> dict[str, Any]:
    return {
        "k": "connection",
        "type": message.type,
        "connection_id": message.connection_id,
        "kind": message.kind,
        "status": message.status,
        "server_id": message.server_id,
        "previous_status": message.previous_status,
    }


def _log(message: LogEntry) -> dict[str, Any]:
    return {
        "k": "log",
        "id": message.id,
        "at": message.at,
        "severity": message.severity,
        "actor": message.actor,
        "category": message.category,
        "subject_type": message.subject_type,
        "subject_id": message.subject_id,
        "subject_name": message.subject_name,
        "message": message.message,
        "server_id": message.server_id,
        "details": message.details,
        "times": _times(message.details),
        "read": message.read,
        "count": message.count,
        "first_at": message.first_at,
        "last_at": message.last_at,
        "probable_cause": message.probable_cause,
        "suggested_fix": message.suggested_fix,
    }


def _log_change(message: LogChange) -> dict[str, Any]:
    return {"k": "log_change", "action": message.action, "count": message.count}


def _command(message: ClusterCommand) -> dict[str, Any]:
    return {
        "k": "command",
        "action": message.action,
        "cluster_id": message.cluster_id,
        "args": message.args,
    }


def _missed(message: Missed) -> dict[str, Any]:
    return {"k": "missed", "topic": message.topic, "dropped": message.dropped}


_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    ResourceEvent: _resource,
    SyncStatusEvent: _sync,
    ConnectionEvent: _connection,
    LogEntry: _log,
    LogChange: _log_change,
    ClusterCommand: _command,
    Missed: _missed,
}


def encode(message: object) -> bytes:
    encoder = _ENCODERS.get(type(message))
    if encoder is None:
        raise BadInput(f"cannot send a {type(message).__name__} over the broker")
    return orjson.dumps(encoder(message))


def decode(data: bytes) -> object:
    """The message ``data`` holds; ``BadInput`` when it is not one of ours."""
    try:
        body = orjson.loads(data)
        kind = body["k"]
        if kind == "resource":
            return ResourceEvent(
                type=ResourceEventType(body["type"]),
                cluster_id=body["cluster_id"],
                uid=body["uid"],
                resource=_restore(body["resource"], body.get("times") or []),
                previous_labels=body.get("previous_labels"),
            )
        if kind == "sync":
            return SyncStatusEvent(
                cluster_id=body["cluster_id"],
                phase=body["phase"],
                resource_count=int(body["resource_count"]),
                kinds=tuple(body.get("kinds") or ()),
                error=body.get("error"),
            )
        if kind == "connection":
            return ConnectionEvent(
                type=body["type"],
                connection_id=body["connection_id"],
                kind=body["kind"],
                status=body["status"],
                server_id=body["server_id"],
                previous_status=body.get("previous_status"),
            )
        if kind == "log":
            return LogEntry(
                id=int(body["id"]),
                at=datetime.fromisoformat(body["at"]),
                severity=body["severity"],
                actor=body["actor"],
                category=body["category"],
                subject_type=body["subject_type"],
                subject_id=body["subject_id"],
                subject_name=body["subject_name"],
                message=body["message"],
                server_id=body["server_id"],
                details=_restore(body.get("details") or {}, body.get("times") or []),
                read=bool(body.get("read", False)),
                count=int(body.get("count", 1)),
                first_at=_moment(body.get("first_at")),
                last_at=_moment(body.get("last_at")),
                probable_cause=body.get("probable_cause") or "",
                suggested_fix=body.get("suggested_fix") or "",
            )
        if kind == "log_change":
            return LogChange(action=body["action"], count=int(body["count"]))
        if kind == "command":
            return ClusterCommand(
                action=body["action"], cluster_id=body["cluster_id"], args=body.get("args") or {}
            )
        if kind == "missed":
            return Missed(topic=body["topic"], dropped=int(body["dropped"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"not a broker message: {exc}") from None
    raise BadInput(f"unknown broker message kind {kind!r}")
