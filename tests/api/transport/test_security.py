"""Safe to expose: bearer tokens on HTTP and on both websocket protocols, refusing to
serve a non-loopback address without a token, limits, introspection, websocket origin
checks, masked internal errors and the parser and validation caches."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

from graphql_server.api.schema import CACHE_SIZE, build_schema
from graphql_server.app import create_app
from graphql_server.broker import InProcessBroker
from graphql_server.cli import main
from graphql_server.errors import ConfigurationError
from graphql_server.settings import Settings
from tests.api.inventory.seed import C1, seed
from tests.conftest import RunningServer, free_port, serving
from tests.helpers import LEGACY_WS, TRANSPORT_WS, WSClient, post, ws_client

FULL, READ = "full-token-1f9a8c", "read-token-77b2d0"
QUERY = "{ clusters { id } }"
MUTATION = f'mutation {{ resyncCluster(clusterId: "{C1}") }}'


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(database_url=f"sqlite://{tmp_path / 'db.sqlite3'}", port=free_port(), **changes)


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = settings_for(tmp_path, auth_token=FULL, read_token=READ)
    async with serving(settings, broker=InProcessBroker()) as running:
        await seed(running)
        yield running


async def test_http_needs_a_token_and_mutations_need_full_access(guarded: RunningServer) -> None:
    for headers in (None, bearer("wrong"), {"Authorization": FULL}, bearer(READ + "x")):
        status, body = await post(guarded.graphql, QUERY, headers=headers)
        assert status == 401, headers
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert body["data"] is None
    status, body = await post(guarded.graphql, QUERY, headers=bearer(READ))
    assert (status, body) == (200, {"data": {"clusters": [{"id": "c-1"}, {"id": "c-2"}]}})
    status, body = await post(guarded.graphql, MUTATION, headers=bearer(READ))
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None
    status, body = await post(guarded.graphql, MUTATION, headers=bearer(FULL))
    assert (status, body) == (200, {"data": {"resyncCluster": True}})
    async with aiohttp.ClientSession() as session:
        async with session.get(guarded.graphql, headers={"accept": "text/html"}) as response:
            assert response.status == 200  # the GraphiQL page itself holds no data
            assert "graphiql" in (await response.text()).lower()
        async with session.get(guarded.graphql, params={"query": QUERY}) as response:
            assert response.status == 401
            assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "init",
    [None, {}, {"Authorization": "Bearer nope"}, {"authToken": "nope"}, {"authorization": READ}],
)
async def test_graphql_transport_ws_refuses_without_a_valid_token(
    guarded: RunningServer, init: dict[str, Any] | None
) -> None:
    async with websockets.connect(guarded.ws_url, subprotocols=[TRANSPORT_WS]) as ws:  # type: ignore[list-item]
        message: dict[str, Any] = {"type": "connection_init"}
        if init is not None:  # None: a connection_init with no payload at all
            message["payload"] = init
        await ws.send(json.dumps(message))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_graphql_transport_ws_refuses_operations_before_init(guarded: RunningServer) -> None:
    async with websockets.connect(guarded.ws_url, subprotocols=[TRANSPORT_WS]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": QUERY}}))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_legacy_ws_refuses_with_connection_error(guarded: RunningServer) -> None:
    async with websockets.connect(guarded.ws_url, subprotocols=[LEGACY_WS]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": "nope"}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["type"] == "connection_error"
        assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def single_result(client: WSClient, query: str) -> dict[str, Any]:
    op = await client.subscribe(query)
    message = await client.receive()
    assert message["id"] == op
    payload: dict[str, Any] = message["payload"]
    return payload


@pytest.mark.parametrize(
    ("protocol", "init", "headers"),
    [
        (TRANSPORT_WS, {"Authorization": f"Bearer {READ}"}, None),
        (TRANSPORT_WS, {"authToken": READ}, None),
        (TRANSPORT_WS, {"headers": {"authorization": f"bearer {READ}"}}, None),
        (TRANSPORT_WS, None, bearer(READ)),
        (LEGACY_WS, {"authToken": READ}, None),
    ],
)
async def test_websockets_authenticate_in_connection_init(
    guarded: RunningServer,
    protocol: str,
    init: dict[str, Any] | None,
    headers: dict[str, str] | None,
) -> None:
    async with ws_client(guarded.ws_url, protocol, init, headers) as client:
        status = await single_result(
            client, f'subscription {{ syncStatus(clusterIds: ["{C1}"]) {{ clusterId }} }}'
        )
        assert status == {"data": {"syncStatus": {"clusterId": C1}}}
        if protocol == TRANSPORT_WS:
            assert await single_result(client, QUERY) == {
                "data": {"clusters": [{"id": "c-1"}, {"id": "c-2"}]}
            }
            await client.receive()  # complete
            result = await single_result(client, MUTATION)
            assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        else:  # the legacy protocol carries subscriptions only
            result = await single_result(client, QUERY)
            assert result["extensions"]["code"] == "BAD_INPUT", result


async def test_full_token_may_mutate_over_websocket(guarded: RunningServer) -> None:
    async with ws_client(guarded.ws_url, TRANSPORT_WS, {"authToken": FULL}) as client:
        assert await single_result(client, MUTATION) == {"data": {"resyncCluster": True}}


def test_tokens_are_secret_settings() -> None:
    settings = Settings(auth_token=FULL, read_token=READ, database_url="postgres://u:pw@db/x")
    assert FULL not in repr(settings)
    assert READ not in repr(settings)
    assert "pw" not in repr(settings)
    with pytest.raises(ConfigurationError):
        Settings.from_environ({}, auth_token="same", read_token="same")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "inventory.example"])
def test_non_loopback_without_token_refuses_to_start(
    tmp_path: Path, host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigurationError, match="--insecure"):
        create_app(settings_for(tmp_path, host=host))
    create_app(settings_for(tmp_path, host=host, insecure=True))
    create_app(settings_for(tmp_path, host=host, auth_token=FULL))
    create_app(settings_for(tmp_path, host=host, read_token=READ))
    database = f"sqlite://{tmp_path / 'db.sqlite3'}"
    assert main(["serve", "--host", host, "--database-url", database]) == 2
    assert "--auth-token" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_needs_no_token(tmp_path: Path, host: str) -> None:
    create_app(settings_for(tmp_path, host=host))


@pytest.fixture
async def uncosted(database_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server whose cost limit lets ten nested lists through (depth is tested here)."""
    settings = Settings(
        database_url=database_url, data_dir=tmp_path, port=free_port(), max_query_cost=10**9
    )
    async with serving(settings, broker=InProcessBroker()) as running:
        yield running


async def test_depth_alias_and_token_limits(uncosted: RunningServer) -> None:
    server = uncosted
    deep = '{ resource(id: "c/u") { ' + "owners { " * 12 + "name" + " }" * 12 + " } }"
    status, body = await post(server.graphql, deep)
    assert (status == 200 and "data" not in body) or body.get("data") is None
    assert "depth" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    shallow = '{ resource(id: "c/u") { ' + "owners { " * 10 + "name" + " }" * 10 + " } }"
    status, body = await post(server.graphql, shallow)
    assert (status, body) == (200, {"data": {"resource": None}})

    aliases = " ".join(f"a{i}: clusters {{ id }}" for i in range(31))
    status, body = await post(server.graphql, f"{{ {aliases} }}")
    assert "aliases" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert body.get("data") is None

    many = "{ clusters { " + " ".join(["id"] * 4000) + " } }"
    status, body = await post(server.graphql, many)
    assert status == 200
    assert "more than 4000 tokens" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_can_be_turned_off(tmp_path: Path) -> None:
    async with serving(settings_for(tmp_path), broker=InProcessBroker()) as server:
        status, body = await post(server.graphql, INTROSPECTION)
        assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    settings = settings_for(tmp_path, introspection=False)
    async with serving(settings, broker=InProcessBroker()) as closed:
        status, body = await post(closed.graphql, INTROSPECTION)
        assert status == 200
        assert body.get("data") is None
        assert "introspection" in body["errors"][0]["message"].lower()
        assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
        status, body = await post(closed.graphql, "{ __typename clusters { id } }")
        assert body == {"data": {"__typename": "Query", "clusters": []}}


async def origin_accepted(server: RunningServer, origin: str | None) -> bool:
    headers = {"Origin": origin} if origin else None
    status = 101
    try:
        async with ws_client(server.ws_url, headers=headers) as client:
            await single_result(client, QUERY)
    except websockets.exceptions.InvalidStatus as refused:
        status = refused.response.status_code
    assert status in (101, 403)
    return status == 101


async def test_cross_origin_websockets_are_refused_unless_allowed(tmp_path: Path) -> None:
    async with serving(settings_for(tmp_path), broker=InProcessBroker()) as server:
        assert await origin_accepted(server, None)  # not a browser
        assert await origin_accepted(server, f"http://127.0.0.1:{server.port}")  # same origin
        assert await origin_accepted(server, f"http://localhost:{server.port}") is False
        assert not await origin_accepted(server, "http://evil.example")
        assert not await origin_accepted(server, f"http://127.0.0.1:{server.port + 1}")
    settings = settings_for(tmp_path, allowed_origins=("https://console.example",))
    async with serving(settings, broker=InProcessBroker()) as allowing:
        assert await origin_accepted(allowing, "https://console.example")
        assert not await origin_accepted(allowing, "http://evil.example")


async def test_internal_errors_are_masked_and_logged_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, auth_token=FULL)
    async with serving(settings, broker=InProcessBroker()) as running:
        await seed(running)
        # A phase no code knows: resolving it fails in a way nobody planned for.
        await running.services.store.clusters.set_phase(C1, "BOGUS-PHASE")
        with caplog.at_level(logging.ERROR):
            status, body = await post(
                running.graphql, "{ clusters { id sync { phase } } }", headers=bearer(FULL)
            )
    assert status == 200
    error = body["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL"}
    assert "BOGUS" not in json.dumps(body)
    assert error["path"] == ["clusters", 0, "sync"]
    logged = "\n".join(
        record.getMessage() + (caplog.text if record.exc_info else "") for record in caplog.records
    )
    assert "unexpected error" in logged
    assert FULL not in caplog.text


async def test_parser_and_validation_caches_serve_repeated_documents() -> None:
    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    schema = build_schema(Settings(introspection=False))
    parse: Any = _get_parse_cache(CACHE_SIZE)
    validate: Any = _get_validate_cache(CACHE_SIZE)
    document = "query CacheProbe { __typename }"
    first = await schema.execute(document)
    assert first.errors is None
    parsed, validated = parse.cache_info(), validate.cache_info()
    for _ in range(3):
        again = await schema.execute(document)
        assert again.data == {"__typename": "Query"}
    assert parse.cache_info().hits == parsed.hits + 3
    assert parse.cache_info().misses == parsed.misses
    assert validate.cache_info().hits == validated.hits + 3
    assert validate.cache_info().misses == validated.misses
    # A schema built again with the same settings shares the caches (rules built once).
    rebuilt = build_schema(Settings(introspection=False))
    await rebuilt.execute(document)
    assert validate.cache_info().misses == validated.misses + 1  # another schema object
    await rebuilt.execute(document)
    assert validate.cache_info().misses == validated.misses + 1
