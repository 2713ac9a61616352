"""DNS rebinding and cross-origin writes: without a token only loopback (and listed)
host names are served, and browsers' cross-origin writes are refused, over HTTP and
websockets; same-origin pages, command-line clients and probes keep working."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.api.inventory.seed import C1, seed
from tests.conftest import RunningServer, free_port, serving
from tests.helpers import TRANSPORT_WS

MUTATION = f'mutation {{ resyncCluster(clusterId: "{C1}") }}'
SECRETS = '{ resources(filter: { kinds: ["Secret"] }) { edges { node { name } } } }'


async def call(url: str, query: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"query": query}, headers=headers) as response,
    ):
        return response.status, await response.json(content_type=None)


async def running(tmp_path: Path, **changes: Any) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}",
        data_dir=tmp_path,
        port=free_port(),
        **changes,
    )
    async with serving(settings, broker=InProcessBroker()) as server:
        await seed(server)
        yield server


@pytest.fixture
async def open_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async for server in running(tmp_path):
        yield server


async def test_a_rebound_host_is_refused_without_a_token(open_server: RunningServer) -> None:
    evil = f"evil.example:{open_server.port}"
    for query in (MUTATION, SECRETS):
        status, body = await call(
            open_server.graphql, query, {"Host": evil, "Origin": f"http://{evil}"}
        )
        assert status == 403
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "--allowed-host" in body["errors"][0]["message"]
        assert body["data"] is None
    async with aiohttp.ClientSession() as session:
        async with session.get(
            open_server.graphql, params={"query": SECRETS}, headers={"Host": evil}
        ) as response:
            assert response.status == 403
        async with session.get(f"{open_server.url}/healthz", headers={"Host": evil}) as response:
            assert response.status == 200  # probes call by address
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(
            f"ws://{evil}/graphql",  # the name in Host; the connection goes to loopback
            subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
            host="127.0.0.1",
            port=open_server.port,
        ):
            pass
    assert refused.value.response.status_code == 403
    # The resync was never run: the cluster's status is untouched.
    for host in (f"127.0.0.1:{open_server.port}", f"localhost:{open_server.port}"):
        status, body = await call(open_server.graphql, "{ __typename }", {"Host": host})
        assert (status, body) == (200, {"data": {"__typename": "Query"}})


async def test_listed_hosts_and_token_mode_serve_other_names(tmp_path: Path) -> None:
    async for server in running(tmp_path / "a", allowed_hosts=("inventory.internal",)):
        status, _ = await call(
            server.graphql, "{ __typename }", {"Host": f"inventory.internal:{server.port}"}
        )
        assert status == 200
        status, _ = await call(server.graphql, "{ __typename }", {"Host": "other.example"})
        assert status == 403
    async for server in running(tmp_path / "b", auth_token="t0k3n-origins"):
        status, _ = await call(
            server.graphql,
            "{ __typename }",
            {"Host": "anything.example", "Authorization": "Bearer t0k3n-origins"},
        )
        assert status == 200  # the token is what protects a named deployment


async def test_cross_origin_writes_are_refused(open_server: RunningServer) -> None:
    same = f"http://127.0.0.1:{open_server.port}"
    status, body = await call(open_server.graphql, MUTATION, {"Origin": "https://attacker.example"})
    assert status == 403
    assert "--allowed-origin" in body["errors"][0]["message"]
    status, body = await call(open_server.graphql, MUTATION, {"Origin": "null"})
    assert status == 403
    status, body = await call(open_server.graphql, MUTATION, {"Origin": same})
    assert (status, body) == (200, {"data": {"resyncCluster": True}})
    status, body = await call(open_server.graphql, MUTATION)  # command-line clients
    assert (status, body) == (200, {"data": {"resyncCluster": True}})


async def test_listed_origins_may_write(tmp_path: Path) -> None:
    async for server in running(tmp_path, allowed_origins=("https://console.example",)):
        status, body = await call(server.graphql, MUTATION, {"Origin": "https://console.example"})
        assert (status, body) == (200, {"data": {"resyncCluster": True}})
