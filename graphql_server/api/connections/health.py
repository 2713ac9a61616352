"""GraphQL types of a connection's health: its status, latest tests and history.

Built from the ``health`` metadata the health loop keeps (``services.health``).
Read-only callers see whether each test passed, never what it found: probe messages
name hosts, ports and errors, which would map the network behind the server
(:func:`shown_message`, shared with ``Connection.lastTest``).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_server.api.auth import Access
from graphql_server.api.context import Info
from graphql_server.api.enums import HealthStatus
from graphql_server.services.health import Health
from graphql_server.services.health import HealthTest as StoredTest

MAX_HISTORY = 20


def is_reader(info: Info) -> bool:
    return info.context.access is Access.READ


def shown_message(info: Info, ok: bool, message: str) -> str:
    """A test's message as the caller may see it: read-only callers get only its outcome."""
    if is_reader(info):
        return "reachable" if ok else "unreachable"
    return message


@strawberry.type(description="One health test of a connection.")
class HealthTest:
    at: datetime
    ok: bool
    latency_ms: float | None
    raw_message: strawberry.Private[str]

    @strawberry.field(description="What the test found (read-only callers: its outcome).")
    def message(self, info: Info) -> str:
        return shown_message(info, self.ok, self.raw_message)

    @classmethod
    def of(cls, test: StoredTest) -> HealthTest:
        return cls(at=test.at, ok=test.ok, latency_ms=test.latency_ms, raw_message=test.message)


@strawberry.type(
    description="A connection's health: every CONNECTED connection is tested each "
    "--health-interval (Kubernetes connections by their watch streams); after "
    "--health-failures failed tests in a row it moves to REGISTERED, and back to "
    "CONNECTED when a test passes again, unless an operator moved it meanwhile."
)
class ConnectionHealth:
    status: HealthStatus
    consecutive_failures: int
    since: datetime | None = strawberry.field(description="Since when the status holds.")
    moved_by_server: bool = strawberry.field(
        description="The server moved it to REGISTERED for failing its tests, and will "
        "move it back to CONNECTED when one passes."
    )
    tests: strawberry.Private[tuple[StoredTest, ...]]

    @strawberry.field(description="The latest test.")
    def last_test(self) -> HealthTest | None:
        return HealthTest.of(self.tests[0]) if self.tests else None

    @strawberry.field(description=f"The latest tests, newest first (at most {MAX_HISTORY}).")
    def history(self, first: int = MAX_HISTORY) -> list[HealthTest]:
        return [HealthTest.of(t) for t in self.tests[: max(0, min(first, MAX_HISTORY))]]

    @classmethod
    def of(cls, health: Health, moved_by_server: bool) -> ConnectionHealth:
        return cls(
            status=health.status,
            consecutive_failures=health.consecutive_failures,
            since=health.since,
            moved_by_server=moved_by_server,
            tests=health.history,
        )
