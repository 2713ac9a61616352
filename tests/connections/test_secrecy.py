"""No secret ever leaves the credential table in clear: not on disk, not in a response,
an event, a subscription message or a log line."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from graphql_server.events import CONNECTIONS_TOPIC, LOG_TOPIC
from graphql_server.simulator import RunningSimulator
from tests.conftest import RunningServer
from tests.connectivity.conftest import PROM_USER, Prometheus
from tests.connectivity.servers import GRAFANA_TOKEN
from tests.helpers import post, subscriber_counts, until_subscribed, ws_client

from .conftest import SIM_TOKEN
from .gql import ASSIGN_CREDENTIAL, CONNECTIONS, CREATE_CREDENTIAL, EVENTS, REGISTER, TEST

PROM_SECRET = "prom-pw-never-shown-81c3"
GRAFANA_SECRET = GRAFANA_TOKEN
KUBE_WRONG = "kube-token-never-shown-9a40"
UPDATED_SECRET = "updated-secret-never-shown-77b1"

CREDENTIALS = "{ credentials { id name kind type fields { name set secret value } } }"
LIVE_EVENTS = "subscription { events { message details subjectName } }"
LIVE_CONNECTIONS = """
subscription { connectionEvents { type connection { name metadata lastTest { message } } } }
"""


def forms(secret: str) -> list[str]:
    """A secret and the encodings it could leak in."""
    basic = base64.b64encode(f"{PROM_USER}:{secret}".encode()).decode()
    return [secret, base64.b64encode(secret.encode()).decode(), basic]


def sqlite_files(folder: Path) -> bytes:
    """The database file with its write-ahead log, byte for byte."""
    files = sorted(folder.glob("inventory.sqlite3*"))
    assert files, "the SQLite database files are where the test expects them"
    return b"".join(path.read_bytes() for path in files)


async def database_text(server: RunningServer, database_url: str, tmp_path: Path) -> bytes:
    store = server.services.store
    if store.database.dialect == "sqlite":
        return sqlite_files(tmp_path)
    tables = [
        "connections",
        "credentials",
        "environments",
        "connection_environments",
        "event_log",
        "server_instances",
        "resources",
        "clusters",
    ]
    dump = []
    connection = store.database.connection()
    for table in tables:
        _, rows = await connection.execute_query(f"SELECT * FROM {table}")
        dump.extend(json.dumps([str(v) for v in dict(row).values()]) for row in rows)
    return "\n".join(dump).encode()


async def test_secrets_stay_sealed_everywhere(
    server: RunningServer,
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    prometheus_basic: Prometheus,
    grafana_url: str,
    simulated: RunningSimulator,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = server.graphql
    responses: list[Any] = []
    live: list[Any] = []

    async def call(query: str, variables: dict[str, Any] | None = None) -> Any:
        status, body = await post(url, query, variables)
        responses.append(body)
        assert status == 200
        return body

    async with (
        ws_client(server.ws_url) as events_client,
        ws_client(server.ws_url) as connections_client,
    ):
        before = subscriber_counts(server.services.broker, LOG_TOPIC, CONNECTIONS_TOPIC)
        events_op = await events_client.subscribe(LIVE_EVENTS)
        connections_op = await connections_client.subscribe(LIVE_CONNECTIONS)
        await until_subscribed(server.services.broker, before)

        prom = await call(
            REGISTER,
            {
                "input": {
                    "kind": "prometheus",
                    "url": prometheus_basic.url,
                    "credential": {
                        "type": "basic",
                        "data": {"username": PROM_USER, "password": PROM_SECRET},
                    },
                }
            },
        )
        prom_connection = prom["data"]["registerConnection"]["connection"]
        grafana_credential = await call(
            CREATE_CREDENTIAL,
            {
                "input": {
                    "name": "grafana",
                    "kind": "grafana",
                    "type": "api_token",
                    "data": {"token": GRAFANA_SECRET},
                }
            },
        )
        grafana_id = grafana_credential["data"]["createCredential"]["id"]
        await call(
            REGISTER, {"input": {"kind": "grafana", "url": grafana_url, "credentialId": grafana_id}}
        )
        await call(
            TEST,
            {
                "input": {
                    "kind": "kubernetes",
                    "credential": {
                        "type": "token",
                        "data": {"server": simulated.url, "token": KUBE_WRONG},
                    },
                }
            },
        )
        kube = await call(
            REGISTER,
            {
                "input": {
                    "kind": "kubernetes",
                    "credential": {
                        "type": "token",
                        "data": {"server": simulated.url, "token": SIM_TOKEN},
                    },
                }
            },
        )
        assert kube["data"]["registerConnection"]["connection"]["status"] == "CONNECTED"
        await call(
            "mutation ($id: ID!, $input: UpdateCredentialInput!) "
            "{ updateCredential(id: $id, input: $input) { id } }",
            {"id": grafana_id, "input": {"data": {"token": UPDATED_SECRET}}},
        )
        bad = await call(
            CREATE_CREDENTIAL,
            {
                "input": {
                    "name": "bad",
                    "kind": "prometheus",
                    "type": "basic",
                    "data": {"username": PROM_USER, "password": PROM_SECRET + "\nx"},
                }
            },
        )
        assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"
        await call(
            ASSIGN_CREDENTIAL,
            {"credentialId": grafana_id, "connectionIds": [prom_connection["id"]]},
        )  # refused: a Grafana credential for a Prometheus connection
        await call(CREDENTIALS)
        await call(CONNECTIONS)
        await call(EVENTS, {"first": 500})
        for client, op in ((events_client, events_op), (connections_client, connections_op)):
            while True:
                try:
                    live.append(await client.next_data(op, wait=1.0))
                except TimeoutError:
                    break

    assert len(live) > 10, "the subscriptions saw the activity"
    stored = await database_text(server, database_url, tmp_path)
    assert b"gs1." in stored, "credentials are stored sealed, on either database"
    texts = {
        "responses": json.dumps(responses),
        "subscriptions": json.dumps(live),
        "logs": "\n".join(
            r.getMessage() + (r.exc_text or "") + repr(r.args) for r in caplog.records
        ),
        "database": stored.decode("latin-1"),
    }
    for secret in (PROM_SECRET, GRAFANA_SECRET, KUBE_WRONG, SIM_TOKEN, UPDATED_SECRET):
        for form in forms(secret):
            for where, text in texts.items():
                assert form not in text, f"a secret leaked into the {where}"
