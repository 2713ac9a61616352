"""Requests that would stall the server or reach what they should not are refused
before they run, with a typed error, while a trivial query keeps answering at once.

Each test sends the abusive request and, concurrently, ``{ __typename }``: the
refusal must be typed and the trivial query must answer while the bad request is
being refused (a deadline, not a performance figure: a blocked event loop misses it
by seconds)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.api.inventory.seed import seed
from tests.conftest import RunningServer, free_port, serving
from tests.helpers import TRANSPORT_WS, post, ws_client

FULL, READ = "full-token-limits", "read-token-limits"
RESPONSIVE_WITHIN = 5.0  # seconds: a deadline on a shared machine, not a latency figure


async def raw_post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        merged = {"content-type": "application/json", **(headers or {})}
        async with session.post(url, data=body, headers=merged) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text


async def while_responsive(
    url: str, bad: Awaitable[Any], headers: dict[str, str] | None = None
) -> Any:
    """Run ``bad`` while a trivial query must still answer promptly; returns bad's result."""
    task = asyncio.ensure_future(bad)
    await asyncio.sleep(0)
    started = time.monotonic()
    status, body = await post(url, "{ __typename }", headers=headers)
    elapsed = time.monotonic() - started
    assert (status, body) == (200, {"data": {"__typename": "Query"}})
    assert elapsed < RESPONSIVE_WITHIN, f"a trivial query took {elapsed:.2f}s"
    return await task


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}",
        data_dir=tmp_path,
        port=free_port(),
        max_request_bytes=200_000,
        request_timeout=3.0,
        max_subscriptions_per_connection=3,
    )
    async with serving(settings, broker=InProcessBroker()) as running:
        await seed(running)
        yield running


async def test_a_large_body_is_refused_before_it_is_read(limited: RunningServer) -> None:
    padding = "#" + "x" * 10_000_000 + "\n{ __typename }"
    body = json.dumps({"query": padding}).encode()
    status, answer = await while_responsive(limited.graphql, raw_post(limited.graphql, body))
    assert status == 413
    assert answer["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert "200000" in answer["errors"][0]["message"]
    assert answer["data"] is None


async def test_a_large_document_within_the_body_limit_is_refused(limited: RunningServer) -> None:
    document = "#" + "x" * 150_000 + "\n{ __typename }"
    status, answer = await post(limited.graphql, document)
    assert status == 413
    assert answer["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert "65536" in answer["errors"][0]["message"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(limited.graphql, params={"query": document[:70_000]}) as response,
    ):
        assert response.status in (400, 413, 414)  # by us, or by the HTTP server's own limit


async def test_deeply_nested_json_is_bad_input(limited: RunningServer) -> None:
    for depth in (65, 90_000):  # within the body limit
        variables = "[" * depth + "]" * depth
        body = ('{"query": "{ __typename }", "variables": {"x": ' + variables + "}}").encode()
        status, answer = await while_responsive(limited.graphql, raw_post(limited.graphql, body))
        assert status == 400, answer
        assert answer["errors"][0]["extensions"]["code"] == "BAD_INPUT"
        assert "nested deeper than 64" in answer["errors"][0]["message"]
    shallow = "[" * 60 + "]" * 60
    body = ('{"query": "{ __typename }", "variables": {"x": ' + shallow + "}}").encode()
    assert await raw_post(limited.graphql, body) == (200, {"data": {"__typename": "Query"}})


COSTLY = (
    "{"
    + " ".join(
        f"a{i}: resources(first: 1000) {{ edges {{ node {{ spec status children {{ uid }} "
        "owners { uid } } } }"
        for i in range(29)
    )
    + "}"
)


async def test_an_over_cost_query_is_refused_before_it_runs(limited: RunningServer) -> None:
    status, answer = await while_responsive(limited.graphql, post(limited.graphql, COSTLY))
    assert status == 200
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "over the limit of 100000" in error["message"]
    assert answer["data"] is None
    # Page sizes from variables count too; a small page of the same shape runs.
    sized = "query ($n: Int!) { resources(first: $n) { edges { node { name children { uid } } } } }"
    status, answer = await post(limited.graphql, sized, {"n": 1000})
    assert status == 200
    assert "errors" not in answer, answer
    nested = (
        "query ($n: Int!) { a: resources(first: $n) { edges { node { children { children "
        "{ children { children { uid } } } } } } } }"
    )
    status, answer = await post(limited.graphql, nested, {"n": 1000})
    assert answer["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_an_over_cost_subscription_is_refused(limited: RunningServer) -> None:
    nested = "children { " * 8 + "uid" + " }" * 8  # 5 ** 8 items: cost 488,282
    query = "subscription { resourceEvents { resource { " + nested + " } } }"
    async with ws_client(limited.ws_url, TRANSPORT_WS) as client:
        op = await client.subscribe(query)
        message = await client.receive()
        assert message["id"] == op
        payload = message["payload"]
        errors = payload if isinstance(payload, list) else payload.get("errors", [])
        assert errors[0]["extensions"]["code"] == "QUERY_TOO_COSTLY", message


NUL_QUERIES = [
    ('{ resources(filter: { search: "a\\u0000b" }) { totalCount } }', None),
    ('{ resources(filter: { namespaces: ["x\\u0000"] }) { totalCount } }', None),
    (
        "query ($k: [String!]) { resources(filter: { kinds: $k }) { totalCount } }",
        {"k": ["Pod\x00"]},
    ),
]


async def test_nul_is_bad_input_on_every_database(server: RunningServer) -> None:
    await seed(server)
    for query, variables in NUL_QUERIES:
        status, answer = await while_responsive(
            server.graphql, post(server.graphql, query, variables)
        )
        assert status in (200, 400), answer
        assert answer["errors"][0]["extensions"]["code"] == "BAD_INPUT", answer
        assert "NUL" in answer["errors"][0]["message"]
    status, answer = await post(server.graphql, NUL_QUERIES[2][0], {"k": ["Pod"]})
    assert "errors" not in answer, answer


async def test_too_many_subscriptions_on_one_socket(limited: RunningServer) -> None:
    query = "subscription { resourceEvents { type } }"
    async with ws_client(limited.ws_url, TRANSPORT_WS) as client:
        for _ in range(3):
            await client.subscribe(query)
        fourth = await client.subscribe(query)
        message = await client.receive()
        assert message["id"] == fourth
        assert message["type"] == "error"
        assert "limit" in message["payload"][0]["message"].lower()


async def test_websocket_messages_over_the_size_limit_close_the_socket(
    limited: RunningServer,
) -> None:
    async with ws_client(limited.ws_url, TRANSPORT_WS) as client:
        await client.send({"type": "subscribe", "id": "big", "payload": {"query": "#" * 300_000}})
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await client.receive(wait=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009  # message too big


async def test_suggestions_are_hidden_without_introspection(tmp_path: Path) -> None:
    query = "{ cluster { id } }"
    for introspection, revealed in ((True, True), (False, False)):
        settings = Settings(
            database_url=f"sqlite://{tmp_path / f'{introspection}.sqlite3'}",
            data_dir=tmp_path,
            port=free_port(),
            introspection=introspection,
        )
        async with serving(settings, broker=InProcessBroker()) as running:
            _, answer = await post(running.graphql, query)
            message = answer["errors"][0]["message"]
            assert answer["errors"][0]["extensions"]["code"] == "BAD_INPUT"
            assert ("Did you mean" in message) is revealed, message
            assert ("clusters" in message) is revealed, message
