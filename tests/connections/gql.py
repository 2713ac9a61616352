"""GraphQL documents and small helpers shared by the connection tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.helpers import data, post

CONNECTION_FIELDS = """
  id name kind status url metadata registration clusterId serverId
  credential { id name type fields { name set secret value } }
  environments { id name }
  component { displayName model kind }
  allowedTransitions
  lastTest { ok status message serverVersion }
"""

CONNECTIONS = f"""
query ($filter: ConnectionFilter, $first: Int, $after: String) {{
  connections(filter: $filter, first: $first, after: $after) {{
    totalCount
    statusSummary {{ status count }}
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {CONNECTION_FIELDS} }} }}
  }}
}}
"""

CONNECTION = f"query ($id: ID!) {{ connection(id: $id) {{ {CONNECTION_FIELDS} }} }}"

REGISTER = f"""
mutation ($input: RegisterConnectionInput!) {{
  registerConnection(input: $input) {{
    connection {{ {CONNECTION_FIELDS} }}
    connections {{ {CONNECTION_FIELDS} }}
  }}
}}
"""

TRANSITION = f"""
mutation ($id: ID!, $status: ConnectionStatus!) {{
  transitionConnection(id: $id, status: $status) {{ {CONNECTION_FIELDS} }}
}}
"""

DELETE = f"mutation ($id: ID!) {{ deleteConnection(id: $id) {{ {CONNECTION_FIELDS} }} }}"

TEST = """
mutation ($input: TestConnectionInput!) {
  testConnection(input: $input) { ok status message latencyMs serverVersion details }
}
"""

CREATE_CREDENTIAL = """
mutation ($input: CreateCredentialInput!) {
  createCredential(input: $input) { id name kind type fields { name set secret value } }
}
"""

ASSIGN_CREDENTIAL = f"""
mutation ($credentialId: ID!, $connectionIds: [ID!]!) {{
  assignCredential(credentialId: $credentialId, connectionIds: $connectionIds) {{
    {CONNECTION_FIELDS}
  }}
}}
"""

EVENTS = """
query ($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id at severity actor category subjectType subjectId subjectName
                          message details serverId count } }
  }
}
"""


async def errors(url: str, query: str, variables: dict[str, Any] | None = None) -> list[Any]:
    """POST an operation that must fail; return its errors."""
    status, body = await post(url, query, variables)
    assert status == 200, body
    assert body.get("errors"), body
    return list(body["errors"])


async def codes(url: str, query: str, variables: dict[str, Any] | None = None) -> list[str]:
    return [e["extensions"]["code"] for e in await errors(url, query, variables)]


async def eventually(
    check: Callable[[], Awaitable[Any]], within: float = 20.0, what: str = "condition"
) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def node(url: str, connection_id: str) -> dict[str, Any]:
    found = (await data(url, CONNECTION, {"id": connection_id}))["connection"]
    assert found is not None
    return dict(found)
