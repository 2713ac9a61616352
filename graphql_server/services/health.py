"""A connection's health: the outcome of its latest tests, kept in its metadata.

Owns the shape of the ``health`` metadata key (status, consecutive failures, since
when, the latest test and a bounded history of tests, newest first) and of the
``healthMove`` key, which records that the server, not an operator, moved a
connection to REGISTERED because its tests kept failing. Pure: no I/O, no store; the
health monitor (``services.monitoring``) and the connection mutations write what
these functions compute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from graphql_server.connectivity import ConnectivityResult

HEALTH_KEY = "health"
MOVE_KEY = "healthMove"
SERVER_MOVE = "server"
HISTORY = 20  # tests kept in a connection's health history


class HealthStatus(StrEnum):
    UNKNOWN = "unknown"
    """Not tested since it connected."""
    HEALTHY = "healthy"
    """The latest test passed."""
    FAILING = "failing"
    """Recent tests failed, fewer in a row than move it."""
    UNHEALTHY = "unhealthy"
    """Enough tests failed in a row to move it out of CONNECTED."""


@dataclass(frozen=True, slots=True)
class HealthTest:
    """One test: when, whether it passed, what it found, how long the first answer took."""

    at: datetime
    ok: bool
    message: str
    latency_ms: float | None = None
    reason: str | None = None

    @classmethod
    def of(cls, result: ConnectivityResult, at: datetime | None = None) -> HealthTest:
        reason = result.details.get("reason")
        return cls(
            at=at or datetime.now(UTC),
            ok=result.ok,
            message=result.message,
            latency_ms=result.latency_ms,
            reason=str(reason) if reason else None,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "ok": self.ok,
            "message": self.message,
            "latencyMs": self.latency_ms,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, stored: object) -> HealthTest | None:
        if not isinstance(stored, Mapping) or not isinstance(stored.get("at"), str):
            return None
        try:
            at = datetime.fromisoformat(stored["at"])
        except ValueError:
            return None
        latency = stored.get("latencyMs")
        reason = stored.get("reason")
        return cls(
            at=at,
            ok=bool(stored.get("ok")),
            message=str(stored.get("message") or ""),
            latency_ms=float(latency) if isinstance(latency, int | float) else None,
            reason=str(reason) if reason else None,
        )


@dataclass(frozen=True, slots=True)
class Health:
    """A connection's health as read back from its metadata."""

    status: HealthStatus
    consecutive_failures: int
    since: datetime | None
    history: tuple[HealthTest, ...]

    @property
    def last_test(self) -> HealthTest | None:
        return self.history[0] if self.history else None


def health_of(metadata: Mapping[str, Any]) -> Health:
    stored = metadata.get(HEALTH_KEY)
    if not isinstance(stored, Mapping):
        return Health(HealthStatus.UNKNOWN, 0, None, ())
    try:
        status = HealthStatus(str(stored.get("status")))
    except ValueError:
        status = HealthStatus.UNKNOWN
    since = stored.get("since")
    failures = stored.get("consecutiveFailures")
    history = stored.get("history")
    tests = [HealthTest.from_json(t) for t in history] if isinstance(history, list) else []
    return Health(
        status=status,
        consecutive_failures=failures if isinstance(failures, int) and failures > 0 else 0,
        since=datetime.fromisoformat(since) if isinstance(since, str) else None,
        history=tuple(t for t in tests if t is not None),
    )


def recorded(
    metadata: Mapping[str, Any], test: HealthTest, threshold: int, history: int = HISTORY
) -> dict[str, Any]:
    """The ``health`` value after ``test``: its status, failures in a row and history."""
    before = health_of(metadata)
    failures = 0 if test.ok else before.consecutive_failures + 1
    if test.ok:
        status = HealthStatus.HEALTHY
    elif failures >= threshold:
        status = HealthStatus.UNHEALTHY
    else:
        status = HealthStatus.FAILING
    since = before.since if status is before.status and before.since else test.at
    return {
        "status": status.value,
        "consecutiveFailures": failures,
        "since": since.isoformat(),
        "history": [t.as_json() for t in (test, *before.history)][: max(1, history)],
    }


def moved_by_server(metadata: Mapping[str, Any]) -> bool:
    """True when the server moved the connection out of CONNECTED (and no one since)."""
    move = metadata.get(MOVE_KEY)
    return isinstance(move, Mapping) and move.get("by") == SERVER_MOVE


def server_move(reason: str, at: datetime) -> dict[str, Any]:
    return {"by": SERVER_MOVE, "at": at.isoformat(), "reason": reason}


def operator_move(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata changes of a move an operator makes: the server's move is forgotten."""
    return {MOVE_KEY: None} if metadata.get(MOVE_KEY) is not None else {}


def connected_health(metadata: Mapping[str, Any], result: ConnectivityResult) -> dict[str, Any]:
    """Metadata changes of a connection entering CONNECTED after ``result`` passed: its
    failures in a row start again from none."""
    if not result.ok:
        return {}
    return {HEALTH_KEY: recorded(metadata, HealthTest.of(result), threshold=1)}
