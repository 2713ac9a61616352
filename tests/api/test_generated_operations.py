"""Operations generated from the schema (hypothesis-graphql), sent over real HTTP to a
server holding some data: never a 500, every error typed, internal errors masked. The
same queries executed by strawberry's stock executor give the same results as by the
plain-objects executor the server uses.

The server runs in a thread with its own event loop for the whole module so that
hypothesis can drive it from ordinary synchronous test functions.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import graphql
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_server.api.context import Context
from graphql_server.api.errors import MASKED_MESSAGE
from graphql_server.api.schema import build_schema, schema_sdl
from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.api.inventory.seed import apply, resource, seed
from tests.conftest import free_port, serving

QUERIES = 300
MUTATIONS = 220
COMPARED = 150

T = TypeVar("T")

SCHEMA = schema_sdl()
JSON_VALUES = st.recursive(
    st.one_of(
        st.builds(nodes.String, st.text(max_size=20)),
        st.builds(nodes.Int, st.integers(-(2**31), 2**31 - 1)),
        st.builds(nodes.Boolean, st.booleans()),
        st.just(graphql.NullValueNode()),
    ),
    lambda children: st.one_of(
        st.builds(nodes.List, st.lists(children, max_size=4)),
        st.builds(
            nodes.Object,
            st.lists(
                st.builds(
                    lambda name, value: graphql.ObjectFieldNode(
                        name=graphql.NameNode(value=name), value=value
                    ),
                    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
                    children,
                ),
                max_size=4,
                unique_by=lambda field: field.name.value,
            ),
        ),
    ),
    max_leaves=8,
)
SCALARS = {"JSON": JSON_VALUES}


class Client:
    """A keep-alive HTTP client for the server thread, and a way into its event loop."""

    def __init__(self, port: int, loop: asyncio.AbstractEventLoop) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.loop = loop
        self.services: Any = None

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def post(self, query: str) -> tuple[int, str]:
        body = json.dumps({"query": query})
        self.connection.request(
            "POST", "/graphql", body=body, headers={"content-type": "application/json"}
        )
        response = self.connection.getresponse()
        return response.status, response.read().decode()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    path: Path = tmp_path_factory.mktemp("generated") / "db.sqlite3"
    port = free_port()
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    failure: list[BaseException] = []
    client = Client(port, loop)

    async def run() -> None:
        settings_ = Settings(database_url=f"sqlite://{path}", port=port)
        try:
            async with serving(settings_, broker=InProcessBroker()) as server:
                await seed(server)
                await apply(
                    server,
                    [
                        resource(f"pod-{i}", f"pod-{i}", owner=("ReplicaSet", "web-rs"))
                        for i in range(30)
                    ],
                )
                client.services = server.services
                ready.set()
                await stop.wait()
        except BaseException as exc:
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    assert ready.wait(30), "the server did not start"
    if failure:
        raise failure[0]
    try:
        yield client
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


def check(client: Client, operation: str) -> None:
    status, text = client.post(operation)
    assert status < 500, (status, operation, text)
    assert "Traceback" not in text
    body: dict[str, Any] = json.loads(text)
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code, (operation, error)
        if code == "INTERNAL":
            assert error["message"] == MASKED_MESSAGE, (operation, error)
            pytest.fail(f"an internal error (masked) for {operation}: {error}")


@settings(
    max_examples=QUERIES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(operation=hypothesis_graphql.queries(SCHEMA, custom_scalars=SCALARS))
def test_generated_queries(client: Client, operation: str) -> None:
    check(client, operation)


@settings(
    max_examples=MUTATIONS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(operation=hypothesis_graphql.mutations(SCHEMA, custom_scalars=SCALARS))
def test_generated_mutations(client: Client, operation: str) -> None:
    check(client, operation)


def compare_executors(client: Client, operation: str) -> None:
    fast = build_schema(Settings())
    stock = build_schema(Settings())
    stock.execution_context_class = StrawberryGraphQLCoreExecutionContext
    assert fast.execution_context_class is not StrawberryGraphQLCoreExecutionContext
    context = Context(services=client.services)
    ours = client.run(fast.execute(operation, context_value=context))
    theirs = client.run(stock.execute(operation, context_value=context))
    assert ours.data == theirs.data, operation
    assert [(e.message, e.path) for e in ours.errors or ()] == [
        (e.message, e.path) for e in theirs.errors or ()
    ], operation


@settings(
    max_examples=COMPARED,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(operation=hypothesis_graphql.queries(SCHEMA, custom_scalars=SCALARS))
def test_plain_objects_executor_matches_the_stock_executor(client: Client, operation: str) -> None:
    compare_executors(client, operation)


@pytest.mark.parametrize(
    "operation",
    [
        "{ resources(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor"
        " node { __typename id clusterId uid apiVersion kind name namespace resourceVersion"
        " labels annotations ownerReferences spec status createdAt updatedAt } } } }",
        '{ resource(id: "c-1/web-rs") { name a: owners { name } children { name kind '
        "owners { name __typename } } } }",
        "{ clusters { id name sync { phase resourceCount kinds { kind } } } }",
        "{ resourceSummary { total byKind { key count } byCluster { count key } } }",
        '{ labels(kinds: ["Pod"]) { key values { value count } } namespaces }',
    ],
)
def test_plain_objects_executor_on_known_queries(client: Client, operation: str) -> None:
    compare_executors(client, operation)
