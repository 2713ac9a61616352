"""The rest of the GraphQL surface: definitions, credentials, environments, pages,
the event log and the live subscriptions."""

from __future__ import annotations

from pathlib import Path

from graphql_server.events import CONNECTIONS_TOPIC, LOG_TOPIC
from graphql_server.lifecycle import ConnectionStatus
from tests.conftest import RunningServer
from tests.helpers import TRANSPORT_WS, data, subscriber_counts, until_subscribed, ws_client

from .gql import ASSIGN_CREDENTIAL, CONNECTIONS, CREATE_CREDENTIAL, EVENTS, TRANSITION, codes

DEFINITIONS = """
{ connectionDefinitions { kind title type subType defaultPort defaultProtocol
    component { kind model displayName styles { primaryColor } }
    credentials { type title schema secretFields } registrationSchema } }
"""
ENVIRONMENTS = "{ environments { id name description connections { id name } } }"
CREATE_ENV = "mutation ($input: EnvironmentInput!) { createEnvironment(input: $input) { id name } }"
UPDATE_ENV = """
mutation ($id: ID!, $input: EnvironmentInput!) {
  updateEnvironment(id: $id, input: $input) { name }
}
"""
ASSIGN_ENV = """
mutation ($env: ID!, $ids: [ID!]!) {
  assignConnectionsToEnvironment(environmentId: $env, connectionIds: $ids) { connections { name } }
}
"""
UNASSIGN_ENV = """
mutation ($env: ID!, $ids: [ID!]!) {
  unassignConnectionsFromEnvironment(environmentId: $env, connectionIds: $ids) {
    connections { name }
  }
}
"""
DELETE_CREDENTIAL = """
mutation ($id: ID!, $force: Boolean! = false) { deleteCredential(id: $id, force: $force) { name } }
"""


def key_file_exists(folder: Path) -> bool:
    return (folder / "secret.key").exists()


async def discovered(server: RunningServer, kind: str, name: str) -> str:
    record = await server.services.store.connections.create(
        kind=kind, name=name, url=f"http://{name}:9090", status=ConnectionStatus.DISCOVERED
    )
    return record.id


async def test_connection_definitions(server: RunningServer) -> None:
    found = (await data(server.graphql, DEFINITIONS))["connectionDefinitions"]
    by_kind = {d["kind"]: d for d in found}
    assert set(by_kind) == {"kubernetes", "prometheus", "grafana"}
    kube = by_kind["kubernetes"]
    assert (kube["defaultPort"], kube["defaultProtocol"]) == (6443, "https")
    assert kube["component"]["displayName"] == "Kubernetes"
    assert kube["component"]["styles"]["primaryColor"].startswith("#")
    assert {c["type"] for c in kube["credentials"]} == {"kubeconfig", "token"}
    token = next(c for c in kube["credentials"] if c["type"] == "token")
    assert token["secretFields"] == ["token"]
    assert token["schema"]["properties"]["token"]["writeOnly"] is True
    prom = by_kind["prometheus"]
    assert {c["type"] for c in prom["credentials"]} == {"none", "basic", "bearer"}
    assert "metrics" in prom["registrationSchema"]["properties"]
    assert {c["type"] for c in by_kind["grafana"]["credentials"]} == {"api_token", "basic"}


async def test_credentials_lifecycle(server: RunningServer, tmp_path: Path) -> None:
    url = server.graphql
    assert not key_file_exists(tmp_path), "no key file until a credential needs one"
    created = await data(
        url,
        CREATE_CREDENTIAL,
        {
            "input": {
                "name": "grafana basic",
                "kind": "grafana",
                "type": "basic",
                "data": {"username": "viewer", "password": "pw-1"},
            }
        },
    )
    credential = created["createCredential"]
    assert key_file_exists(tmp_path)
    assert credential["fields"] == [
        {"name": "username", "set": True, "secret": False, "value": "viewer"},
        {"name": "password", "set": True, "secret": True, "value": None},
    ]
    a = await discovered(server, "grafana", "grafana-a")
    b = await discovered(server, "grafana", "grafana-b")
    p = await discovered(server, "prometheus", "prom")
    assigned = await data(
        url, ASSIGN_CREDENTIAL, {"credentialId": credential["id"], "connectionIds": [a, b]}
    )
    assert [c["credential"]["name"] for c in assigned["assignCredential"]] == ["grafana basic"] * 2
    assert await codes(
        url, ASSIGN_CREDENTIAL, {"credentialId": credential["id"], "connectionIds": [p]}
    ) == ["BAD_INPUT"]
    assert await codes(
        url, ASSIGN_CREDENTIAL, {"credentialId": credential["id"], "connectionIds": [a, "nope"]}
    ) == ["NOT_FOUND"]
    users = await data(
        url,
        "query ($id: ID!) { credential(id: $id) { connections { name } } }",
        {"id": credential["id"]},
    )
    assert [c["name"] for c in users["credential"]["connections"]] == ["grafana-a", "grafana-b"]

    renamed = await data(
        url,
        "mutation ($id: ID!, $input: UpdateCredentialInput!) "
        "{ updateCredential(id: $id, input: $input) { name fields { name value } } }",
        {"id": credential["id"], "input": {"name": "grafana viewer", "data": {"username": "v2"}}},
    )
    assert renamed["updateCredential"]["name"] == "grafana viewer"
    assert renamed["updateCredential"]["fields"][0] == {"name": "username", "value": "v2"}

    assert await codes(url, DELETE_CREDENTIAL, {"id": credential["id"]}) == ["CONFLICT"]
    await data(url, DELETE_CREDENTIAL, {"id": credential["id"], "force": True})
    left = await data(url, CONNECTIONS, {"filter": {"kinds": ["grafana"]}})
    assert [e["node"]["credential"] for e in left["connections"]["edges"]] == [None, None]
    assert (await data(url, "{ credentials { id } }"))["credentials"] == []
    assert await codes(
        url,
        CREATE_CREDENTIAL,
        {"input": {"name": "x", "kind": "grafana", "type": "bearer", "data": {"token": "t"}}},
    ) == ["BAD_INPUT"]


async def test_environments(server: RunningServer) -> None:
    url = server.graphql
    prod = (await data(url, CREATE_ENV, {"input": {"name": "prod", "description": "live"}}))[
        "createEnvironment"
    ]
    assert await codes(url, CREATE_ENV, {"input": {"name": "prod"}}) == ["CONFLICT"]
    assert await codes(url, CREATE_ENV, {"input": {"name": "  "}}) == ["BAD_INPUT"]
    a = await discovered(server, "prometheus", "prom-a")
    b = await discovered(server, "prometheus", "prom-b")
    added = await data(url, ASSIGN_ENV, {"env": prod["id"], "ids": [a, b, a]})
    assert [c["name"] for c in added["assignConnectionsToEnvironment"]["connections"]] == [
        "prom-a",
        "prom-b",
    ]
    removed = await data(url, UNASSIGN_ENV, {"env": prod["id"], "ids": [a]})
    assert [c["name"] for c in removed["unassignConnectionsFromEnvironment"]["connections"]] == [
        "prom-b"
    ]
    renamed = await data(url, UPDATE_ENV, {"id": prod["id"], "input": {"name": "production"}})
    assert renamed["updateEnvironment"]["name"] == "production"
    listed = (await data(url, ENVIRONMENTS))["environments"]
    assert listed == [
        {
            "id": prod["id"],
            "name": "production",
            "description": "live",
            "connections": [{"id": b, "name": "prom-b"}],
        }
    ]
    await data(url, TRANSITION, {"id": b, "status": "DELETED"})
    assert (await data(url, ENVIRONMENTS))["environments"][0]["connections"] == []
    assert await codes(url, ASSIGN_ENV, {"env": prod["id"], "ids": [b]}) == ["BAD_INPUT"]
    await data(url, "mutation ($id: ID!) { deleteEnvironment(id: $id) { id } }", {"id": prod["id"]})
    assert (await data(url, ENVIRONMENTS))["environments"] == []
    log = await data(url, EVENTS, {"filter": {"categories": ["environment"]}, "first": 20})
    messages = [e["node"]["message"] for e in log["events"]["edges"]]
    assert messages[0] == "deleted environment 'production'"
    assert "renamed environment 'prod' to 'production'" in messages


async def test_pages_filters_and_summary(server: RunningServer) -> None:
    url = server.graphql
    ids = [await discovered(server, "prometheus", f"prom-{i}") for i in range(5)]
    await data(url, TRANSITION, {"id": ids[0], "status": "IGNORED"})
    await data(url, TRANSITION, {"id": ids[1], "status": "DELETED"})
    names: list[str] = []
    after = None
    while True:
        page = (await data(url, CONNECTIONS, {"first": 2, "after": after}))["connections"]
        names += [e["node"]["name"] for e in page["edges"]]
        assert page["totalCount"] == 4
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["prom-0", "prom-2", "prom-3", "prom-4"]
    result = await data(url, CONNECTIONS, {"filter": {"statuses": ["IGNORED"], "search": "PROM"}})
    connections = result["connections"]
    assert [e["node"]["name"] for e in connections["edges"]] == ["prom-0"]
    summary = {s["status"]: s["count"] for s in connections["statusSummary"]}
    assert (summary["DISCOVERED"], summary["IGNORED"], summary["DELETED"]) == (3, 1, 1)
    assert await codes(url, CONNECTIONS, {"after": "garbage"}) == ["BAD_INPUT"]
    assert await codes(url, CONNECTIONS, {"first": 5000}) == ["BAD_INPUT"]
    events = await data(url, EVENTS, {"filter": {"severities": ["INFO"]}, "first": 1})
    assert events["events"]["totalCount"] == 2
    assert events["events"]["pageInfo"]["hasNextPage"] is True
    rest = await data(url, EVENTS, {"first": 5, "after": events["events"]["pageInfo"]["endCursor"]})
    assert len(rest["events"]["edges"]) == 1
    since = await data(url, EVENTS, {"filter": {"since": "2000-01-01T00:00:00"}})
    assert since["events"]["totalCount"] == 2, "a time without a zone is UTC"
    assert await codes(
        url, EVENTS, {"filter": {"since": "2030-01-01T00:00:00Z", "until": "2020-01-01T00:00:00Z"}}
    ) == ["BAD_INPUT"]


async def test_live_connection_events_and_log(server: RunningServer) -> None:
    url = server.graphql
    prom = await discovered(server, "prometheus", "prom-live")
    grafana = await discovered(server, "grafana", "grafana-live")
    async with (
        ws_client(server.ws_url, TRANSPORT_WS) as watcher,
        ws_client(server.ws_url, TRANSPORT_WS) as reader,
    ):
        before = subscriber_counts(server.services.broker, CONNECTIONS_TOPIC, LOG_TOPIC)
        changes = await watcher.subscribe(
            "subscription ($f: ConnectionFilter) { connectionEvents(filter: $f) "
            "{ type previousStatus connection { name status } } }",
            {"f": {"kinds": ["prometheus"]}},
        )
        log = await reader.subscribe(
            'subscription { events(filter: {categories: ["status_change"]}) '
            "{ category subjectName message actor } }"
        )
        await until_subscribed(server.services.broker, before)
        await data(url, TRANSITION, {"id": grafana, "status": "IGNORED"})
        await data(url, TRANSITION, {"id": prom, "status": "IGNORED"})
        await data(url, TRANSITION, {"id": prom, "status": "DELETED"})
        seen = [(await watcher.next_data(changes))["data"]["connectionEvents"] for _ in range(2)]
        entries = [(await reader.next_data(log))["data"]["events"] for _ in range(3)]
    assert seen == [
        {
            "type": "STATUS_CHANGED",
            "previousStatus": "DISCOVERED",
            "connection": {"name": "prom-live", "status": "IGNORED"},
        },
        {
            "type": "DELETED",
            "previousStatus": "IGNORED",
            "connection": {"name": "prom-live", "status": "DELETED"},
        },
    ]
    assert [e["subjectName"] for e in entries] == ["grafana-live", "prom-live", "prom-live"]
    assert {e["actor"] for e in entries} == {"user"}
    assert entries[2]["message"] == (
        "prometheus connection 'prom-live' moved from IGNORED to DELETED"
    )
