"""GraphiQL is served from the package itself (no CDN), and its example tabs are valid
operations of the current schema."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from graphql import build_schema, parse, validate

from graphql_server.api.schema import schema_sdl
from tests.conftest import RunningServer

ROOT = Path(__file__).resolve().parents[3]
TABS = ROOT / "tools" / "graphiql" / "src" / "tabs.js"
BUNDLE = ROOT / "graphql_server" / "static" / "graphiql"


def example_operations() -> list[str]:
    return re.findall(r"query: `(.*?)`", TABS.read_text(encoding="utf-8"), flags=re.S)


async def test_page_and_assets_come_from_the_server(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(server.graphql, headers={"accept": "text/html"}) as response:
            assert response.status == 200
            page = await response.text()
        assert "static/graphiql/graphiql.js" in page
        assert "static/graphiql/graphiql.css" in page
        assert "//" not in re.sub(r"<!--.*?-->", "", page), "the page must not load anything remote"
        for asset, media in (("graphiql.js", "javascript"), ("graphiql.css", "css")):
            async with session.get(f"{server.url}/static/graphiql/{asset}") as response:
                assert response.status == 200
                assert media in response.headers["content-type"]
                assert len(await response.read()) == (BUNDLE / asset).stat().st_size


def test_bundle_holds_the_websocket_client_and_the_example_tabs() -> None:
    bundle = (BUNDLE / "graphiql.js").read_text(encoding="utf-8")
    assert "graphql-transport-ws" in bundle
    operations = example_operations()
    assert len(operations) >= 6
    for operation in operations:
        first_line = operation.splitlines()[1]
        assert first_line in bundle, f"rebuild the bundle (tools/graphiql): {first_line!r} missing"


def test_example_tabs_are_valid_against_the_schema() -> None:
    schema = build_schema(schema_sdl())
    kinds = set()
    for operation in example_operations():
        document = parse(operation)
        assert validate(schema, document) == [], operation
        kinds.add(document.definitions[0].operation.value)  # type: ignore[attr-defined]
    assert kinds == {"query", "mutation", "subscription"}


def test_readme_documents_the_example_tabs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for operation in example_operations():
        match = re.search(r"^(query|mutation|subscription) (\w+)", operation, flags=re.M)
        assert match is not None, operation
        assert f"`{match[0]}`" in readme, f"README lacks the example {match[0]!r}"
