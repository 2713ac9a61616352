"""What the connection API refuses and what it records: connection URLs, credential
names, user metadata, the event log's gaps and its filter values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningServer
from tests.connections.gql import (
    CONNECTIONS,
    CREATE_CREDENTIAL,
    EVENTS,
    REGISTER,
    codes,
    errors,
)
from tests.helpers import data

UPDATE = """
mutation ($id: ID!, $input: UpdateConnectionInput!) {
  updateConnection(id: $id, input: $input) { id url metadata }
}
"""
UPDATE_CREDENTIAL = """
mutation ($id: ID!, $input: UpdateCredentialInput!) {
  updateCredential(id: $id, input: $input) { name }
}
"""
UNREACHABLE = "http://127.0.0.1:1"


async def _all(url: str) -> list[dict[str, Any]]:
    found = await data(url, CONNECTIONS, {"filter": {"statuses": None}})
    return [edge["node"] for edge in found["connections"]["edges"]]


async def _events(url: str, **filter: Any) -> list[dict[str, Any]]:
    found = await data(url, EVENTS, {"filter": filter, "first": 100})
    return [edge["node"] for edge in found["events"]["edges"]]


async def _register(graphql: str, **fields: Any) -> dict[str, Any]:
    result = await data(graphql, REGISTER, {"input": {"kind": "prometheus", **fields}})
    return dict(result["registerConnection"]["connection"])


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("not a url", "must not contain spaces"),
        ("ftp://prometheus:9090", "http or https"),
        ("http://", "has no host"),
        ("http://prometheus:0", "port must be from 1 to 65535"),
        ("http://prometheus:99999", "from 1 to 65535"),
        ("http://prometheus:http", "from 1 to 65535"),
        ("http://bad_host!:9090", "not a host name or IP address"),
        ("http://user:pw@prometheus:9090", "must not carry a user or password"),
    ],
)
async def test_connection_urls_are_validated(
    server: RunningServer, given: str, fragment: str
) -> None:
    url = server.graphql
    (error,) = await errors(url, REGISTER, {"input": {"kind": "prometheus", "url": given}})
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert fragment in error["message"]
    assert "pw" not in error["message"]
    assert await _all(url) == []
    kept = await _register(url, url=UNREACHABLE)
    (error,) = await errors(url, UPDATE, {"id": kept["id"], "input": {"url": given}})
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert [c["url"] for c in await _all(url)] == [UNREACHABLE]


async def test_credential_names_are_unique_per_kind(server: RunningServer) -> None:
    url = server.graphql

    def credential(name: str, kind: str = "grafana") -> dict[str, Any]:
        data_ = {"username": "u", "password": "p"} if kind == "grafana" else {"token": "t"}
        kind_type = "basic" if kind == "grafana" else "bearer"
        return {"input": {"name": name, "kind": kind, "type": kind_type, "data": data_}}

    first = (await data(url, CREATE_CREDENTIAL, credential("shared")))["createCredential"]
    (error,) = await errors(url, CREATE_CREDENTIAL, credential("shared"))
    assert error["extensions"]["code"] == "CONFLICT"
    assert "a grafana credential named 'shared' exists" in error["message"]
    await data(url, CREATE_CREDENTIAL, credential("shared", "prometheus"))  # another kind
    other = (await data(url, CREATE_CREDENTIAL, credential("other")))["createCredential"]
    rename = {"id": other["id"], "input": {"name": "shared"}}
    assert await codes(url, UPDATE_CREDENTIAL, rename) == ["CONFLICT"]
    names = sorted(c["name"] for c in (await data(url, "{ credentials { name } }"))["credentials"])
    assert names == ["other", "shared", "shared"]
    # Renaming to its own name is no conflict.
    await data(url, UPDATE_CREDENTIAL, {"id": first["id"], "input": {"name": "shared"}})
    # Names the server makes up for a registration's new credential never collide.
    secret = {"type": "bearer", "data": {"token": "t"}}
    for port in (1, 2):
        await _register(url, url=f"http://127.0.0.1:{port}", name="prom", credential=secret)
    made = [c["name"] for c in (await data(url, "{ credentials { name } }"))["credentials"]]
    assert sorted(n for n in made if n.startswith("prometheus prom")) == [
        "prometheus prom",
        "prometheus prom (2)",
    ]


async def test_user_metadata(server: RunningServer) -> None:
    url = server.graphql
    infra = await _register(url, url=UNREACHABLE, metadata={"team": "infra", "tier": "1"})
    assert infra["metadata"]["team"] == "infra"
    apps = await _register(url, url="http://127.0.0.1:2", metadata={"team": "apps"})

    async def chosen(filter: dict[str, Any]) -> list[str]:
        found = await data(url, CONNECTIONS, {"filter": filter})
        return [e["node"]["id"] for e in found["connections"]["edges"]]

    assert await chosen({"metadata": {"team": "infra"}}) == [infra["id"]]
    assert await chosen({"metadata": {"team": "infra", "tier": "2"}}) == []
    updated = await data(
        url, UPDATE, {"id": apps["id"], "input": {"metadata": {"tier": "1", "team": None}}}
    )
    assert updated["updateConnection"]["metadata"].get("team") is None
    assert updated["updateConnection"]["metadata"]["tier"] == "1"
    assert sorted(await chosen({"metadata": {"tier": "1"}})) == sorted([infra["id"], apps["id"]])
    assert any(
        "updated prometheus connection" in e["message"]
        for e in await _events(url, subjectIds=[apps["id"]])
    )
    for bad, fragment in [
        ({"registration": "x"}, "kept by the server"),
        ({"team": 3}, "must be a string"),
        ({"-team": "x"}, "a key must be"),
        ({"k": "v" * 1025}, "longer than 1024"),
    ]:
        (error,) = await errors(url, UPDATE, {"id": infra["id"], "input": {"metadata": bad}})
        assert error["extensions"]["code"] == "BAD_INPUT"
        assert fragment in error["message"]
        (error,) = await errors(
            url, REGISTER, {"input": {"kind": "prometheus", "url": "http://x:1", "metadata": bad}}
        )
        assert fragment in error["message"]
    assert await codes(url, CONNECTIONS, {"filter": {"metadata": {"team": 1}}}) == ["BAD_INPUT"]
    assert len(await _all(url)) == 2


async def test_refused_registrations_and_environment_joins_are_logged(
    server: RunningServer,
) -> None:
    url = server.graphql
    assert await codes(
        url,
        REGISTER,
        {"input": {"kind": "prometheus", "url": UNREACHABLE, "requireConnectivity": True}},
    ) == ["CONNECTIVITY_FAILED"]
    assert await _all(url) == []
    (refused,) = await _events(url, categories=["registration"])
    assert refused["severity"] == "WARNING"
    assert refused["subjectType"] == "endpoint"
    assert refused["subjectName"] == UNREACHABLE
    assert "refused" in refused["message"]

    created = await data(url, 'mutation { createEnvironment(input: {name: "staging"}) { id } }')
    environment = created["createEnvironment"]["id"]
    joined = await _register(url, url=UNREACHABLE, name="prom", environmentIds=[environment])
    entries = await _events(url, categories=["environment"], subjectIds=[environment])
    assert entries[0]["message"] == "added 'prom' to 'staging' at registration"
    assert entries[0]["details"]["connectionIds"] == [joined["id"]]


@pytest.mark.parametrize(
    "filter",
    [{"categories": ["bogus"]}, {"categories": ["sync", "nope"]}, {"subjectTypes": ["thing"]}],
)
async def test_unknown_event_filter_values_are_refused(
    server: RunningServer, filter: dict[str, Any]
) -> None:
    (error,) = await errors(server.graphql, EVENTS, {"filter": filter})
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert "unknown" in error["message"]
    assert await _events(server.graphql, categories=["sync", "registration"]) == []


async def test_unknown_connection_kinds_in_the_filter_are_refused(server: RunningServer) -> None:
    (error,) = await errors(server.graphql, CONNECTIONS, {"filter": {"kinds": ["bogus"]}})
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert "unknown connection kind 'bogus'" in error["message"]
    found = await data(server.graphql, CONNECTIONS, {"filter": {"kinds": ["Prometheus"]}})
    assert found["connections"]["edges"] == []
