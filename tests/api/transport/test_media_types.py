"""GraphQL over HTTP's media types: ``application/graphql-response+json`` with its status
codes for clients asking for it, ``application/json`` as before for the others; and
graphql-http's own audits against the running server (npm required in CI)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from graphql_server.broker import InProcessBroker
from graphql_server.settings import Settings
from tests.conftest import IN_CI, RunningServer, free_port, serving

GRAPHQL_RESPONSE = "application/graphql-response+json"
AUDIT_DIR = Path(__file__).resolve().parents[3] / "tools" / "http-audit"


@pytest.fixture
async def sqlite_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}", data_dir=tmp_path, port=free_port()
    )
    async with serving(settings, broker=InProcessBroker()) as running:
        yield running


async def _post(
    server: RunningServer, body: dict[str, Any], accept: str | None
) -> tuple[int, str, dict[str, Any]]:
    headers = {"accept": accept} if accept is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.graphql, json=body, headers=headers) as response,
    ):
        return response.status, response.headers["content-type"], json.loads(await response.text())


REQUEST_ERRORS = {
    "syntax": {"query": "{"},
    "validation": {"query": "{ nosuchfield }"},
    "coercion": {
        "query": "query ($id: ID!) { connection(id: $id) { id } }",
        "variables": {"id": {"not": "an id"}},
    },
}


@pytest.mark.parametrize("kind", sorted(REQUEST_ERRORS))
async def test_request_errors_by_media_type(sqlite_server: RunningServer, kind: str) -> None:
    body = REQUEST_ERRORS[kind]
    status, content_type, answer = await _post(sqlite_server, body, GRAPHQL_RESPONSE)
    assert (status, content_type) == (400, f"{GRAPHQL_RESPONSE}; charset=utf-8")
    assert "data" not in answer
    assert answer["errors"]
    for accept in ("application/json", None, "*/*"):
        status, content_type, answer = await _post(sqlite_server, body, accept)
        assert (status, content_type) == (200, "application/json")
        assert answer["data"] is None
        assert answer["errors"]


async def test_results_by_media_type(sqlite_server: RunningServer) -> None:
    ok = {"query": "{ __typename }"}
    for accept, expected in [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", "application/json"),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        ("text/plain, */*", "application/json"),
    ]:
        status, content_type, answer = await _post(sqlite_server, ok, accept)
        assert status == 200
        assert content_type.split(";")[0] == expected, accept
        assert answer == {"data": {"__typename": "Query"}}
    # An error during execution is still a 200 with its data.
    failing = {"query": '{ connection(id: "nosuch") { id } __typename }'}
    status, _, answer = await _post(sqlite_server, failing, GRAPHQL_RESPONSE)
    assert status == 200
    assert answer["data"] == {"connection": None, "__typename": "Query"}


def _npm_problem() -> str | None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "npm and node are not installed"
    return None


async def _run(*args: str, cwd: Path, within: float) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode or 0, out.decode(), err.decode()


async def test_graphql_http_audits(sqlite_server: RunningServer) -> None:
    problem = _npm_problem()
    if problem is None:
        code, _, err = await _run("npm", "ci", "--no-audit", "--no-fund", cwd=AUDIT_DIR, within=180)
        if code != 0:
            problem = f"npm ci failed: {err.strip()[-300:]}"
    if problem is not None:
        if IN_CI:
            pytest.fail(f"the GraphQL-over-HTTP audits must run in CI: {problem}")
        pytest.skip(problem)
    code, out, err = await _run(
        "node", "audit.mjs", sqlite_server.graphql, cwd=AUDIT_DIR, within=120
    )
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(results) > 40, (out, err)
    failed = [r for r in results if r["status"] in ("error", "warn")]
    assert failed == [], json.dumps(failed, indent=1)
    assert code == 0, err
