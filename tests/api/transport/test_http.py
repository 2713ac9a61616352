"""GraphQL over real HTTP: queries, mutations, bad input, health and readiness."""

from __future__ import annotations

import aiohttp

from graphql_server import __version__
from graphql_server.events import COMMANDS_TOPIC, ClusterCommand
from tests.conftest import RunningServer
from tests.helpers import data, post


async def test_query_over_post_and_get(server: RunningServer) -> None:
    await server.services.store.clusters.upsert("c1", "kind-dev", "https://k", "v1.31.0")
    result = await data(server.graphql, "{ clusters { id name server version } }")
    assert result == {
        "clusters": [{"id": "c1", "name": "kind-dev", "server": "https://k", "version": "v1.31.0"}]
    }
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.graphql, params={"query": "{ clusters { name } }"}) as response,
    ):
        assert response.status == 200
        assert (await response.json())["data"] == {"clusters": [{"name": "kind-dev"}]}


async def test_mutation_publishes_a_resync_command(server: RunningServer) -> None:
    await server.services.store.clusters.upsert("c1", "dev", "https://k", "v1")
    async with server.services.broker.subscribe(COMMANDS_TOPIC) as commands:
        result = await data(server.graphql, 'mutation { resyncCluster(clusterId: "c1") }')
        assert result == {"resyncCluster": True}
        command = await commands.get()
    assert command == ClusterCommand(action="resync", cluster_id="c1")


async def test_mutation_on_unknown_cluster_is_not_found(server: RunningServer) -> None:
    status, body = await post(server.graphql, 'mutation { resyncCluster(clusterId: "nope") }')
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "nope" in body["errors"][0]["message"]


async def test_mutations_are_refused_over_get(server: RunningServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            server.graphql, params={"query": 'mutation { resyncCluster(clusterId: "x") }'}
        ) as response,
    ):
        assert response.status in (400, 405)
        assert "Traceback" not in await response.text()


async def test_malformed_json_body_is_a_graphql_error(server: RunningServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            server.graphql, data=b"{not json", headers={"content-type": "application/json"}
        ) as response,
    ):
        assert response.status == 400
        body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_unknown_field_and_wrong_variable_type(server: RunningServer) -> None:
    status, body = await post(server.graphql, "{ clusters { nope } }")
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "nope" in body["errors"][0]["message"]
    status, body = await post(
        server.graphql, "query ($n: Int) { resources(first: $n) { totalCount } }", {"n": "many"}
    )
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "Int" in body["errors"][0]["message"]


async def test_invalid_arguments_are_bad_input(server: RunningServer) -> None:
    for query in (
        '{ resources(filter: { labelSelector: "app in x" }) { totalCount } }',
        '{ resources(after: "garbage") { totalCount } }',
        "{ resources(first: -1) { totalCount } }",
        '{ resource(id: "no-slash") { id } }',
    ):
        status, body = await post(server.graphql, query)
        assert status == 200
        assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT", (query, body)


async def test_depth_and_alias_limits(server: RunningServer) -> None:
    aliases = " ".join(f"a{i}: clusters {{ id }}" for i in range(40))
    status, body = await post(server.graphql, f"{{ {aliases} }}")
    assert status == 200
    assert "aliases" in body["errors"][0]["message"]


async def test_graphiql_is_served_to_browsers(server: RunningServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.graphql, headers={"accept": "text/html"}) as response,
    ):
        assert response.status == 200
        assert "graphiql" in (await response.text()).lower()


async def test_health_and_readiness(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok", "version": __version__}
        async with session.get(f"{server.url}/readyz") as response:
            assert response.status == 200
            assert await response.json() == {
                "ready": True,
                "sources": [],
                "unhealthy": [],
                "degradedClusters": [],
            }


async def test_the_root_serves_the_console_and_there_is_a_favicon(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/", allow_redirects=False) as response:
            assert response.status == 200
            assert response.headers["content-type"].startswith("text/html")
            policy = response.headers["content-security-policy"]
            assert "default-src 'none'" in policy
            assert "connect-src 'self'" in policy
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            page = await response.text()
            assert 'src="static/console/console.js"' in page
            assert 'rel="icon" href="favicon.ico"' in page
        for asset in ("console.js", "console.css"):
            async with session.get(f"{server.url}/static/console/{asset}") as response:
                assert response.status == 200
                assert len(await response.read()) > 1000
        async with session.get(
            f"{server.url}/graphql", headers={"accept": "text/html"}
        ) as response:
            assert response.status == 200
            assert "graphiql" in (await response.text()).lower()
        async with session.get(f"{server.url}/favicon.ico") as response:
            assert response.status == 200
            assert response.headers["content-type"].startswith("image/svg+xml")
            assert (await response.text()).startswith("<svg")
