"""GraphQL documents and helpers of the notification centre's tests."""

from __future__ import annotations

import socket
from typing import Any

from tests.helpers import data

EVENT_FIELDS = """id at severity category subjectType subjectName message details read count
firstAt lastAt probableCause suggestedFix"""

EVENTS = f"""
query ($filter: EventFilter, $first: Int) {{
  events(filter: $filter, first: $first) {{ totalCount edges {{ node {{ {EVENT_FIELDS} }} }} }}
}}
"""

UNREAD = "query ($filter: EventFilter) { unreadEventCount(filter: $filter) }"
MARK_READ = """
mutation ($ids: [ID!], $filter: EventFilter) { markEventsRead(ids: $ids, filter: $filter) }
"""
MARK_UNREAD = "mutation ($ids: [ID!]!) { markEventsUnread(ids: $ids) }"
DELETE = """
mutation ($ids: [ID!], $filter: EventFilter) { deleteEvents(ids: $ids, filter: $filter) }
"""
CREATE_ENV = "mutation ($input: EnvironmentInput!) { createEnvironment(input: $input) { id } }"
TEST = """
mutation ($input: TestConnectionInput!) { testConnection(input: $input) { ok message details } }
"""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def events(url: str, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    found = await data(url, EVENTS, {"filter": filter, "first": 100})
    return [edge["node"] for edge in found["events"]["edges"]]


async def unread(url: str, filter: dict[str, Any] | None = None) -> int:
    return int((await data(url, UNREAD, {"filter": filter}))["unreadEventCount"])
