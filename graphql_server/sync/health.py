"""Whether each cluster source could be reached the last time the sync tried it.

Owns :class:`SourceHealth`: the outcome of the latest attempt to connect each source
(a command-line context, a registered connection), in memory, for ``/readyz`` and
for deciding when a failure is news. A failure is news (:meth:`failed` returns True)
when the source was healthy or unknown, or failed for another kind of reason
(unreachable, refused credentials, configuration); a retry failing the same way is
not. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql_server.errors import ConfigurationError, GraphQLServerError, KubernetesError

UNAUTHORIZED_STATUSES = (401, 403)


def failure_reason(exc: BaseException) -> str:
    """``unauthorized``, ``timeout``, ``unreachable`` or ``configuration``."""
    if isinstance(exc, KubernetesError):
        if exc.status in UNAUTHORIZED_STATUSES:
            return "unauthorized"
        return "timeout" if isinstance(exc.__cause__, TimeoutError) else "unreachable"
    if isinstance(exc, ConfigurationError):
        return "configuration"
    return "unreachable"


def failure_message(exc: BaseException) -> str:
    if isinstance(exc, GraphQLServerError):
        return exc.message
    return str(exc) or type(exc).__name__


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    healthy: bool
    error: str | None
    reason: str | None
    tried_at: datetime
    since: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "healthy": self.healthy,
            "error": self.error,
            "reason": self.reason,
            "triedAt": self.tried_at.isoformat(),
            "since": self.since.isoformat(),
        }


class SourceHealth:
    def __init__(self) -> None:
        self.sources: dict[str, SourceState] = {}

    def failed(self, name: str, exc: BaseException) -> bool:
        """Record a failed attempt; True when it is a change worth telling."""
        now = datetime.now(UTC)
        reason = failure_reason(exc)
        before = self.sources.get(name)
        changed = before is None or before.healthy or before.reason != reason
        self.sources[name] = SourceState(
            name,
            False,
            failure_message(exc),
            reason,
            now,
            before.since if before and not changed else now,
        )
        return changed

    def succeeded(self, name: str) -> bool:
        """Record a successful attempt; True when the source had been failing."""
        now = datetime.now(UTC)
        before = self.sources.get(name)
        recovered = before is not None and not before.healthy
        since = before.since if before is not None and before.healthy else now
        self.sources[name] = SourceState(name, True, None, None, now, since)
        return recovered

    def forget(self, name: str) -> None:
        self.sources.pop(name, None)

    def report(self) -> list[dict[str, Any]]:
        return [state.as_json() for _, state in sorted(self.sources.items())]
