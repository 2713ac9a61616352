"""Registering and testing connections over GraphQL against real servers: Prometheus,
a Grafana-like server, and the simulated Kubernetes cluster with right and wrong tokens."""

from __future__ import annotations

from typing import Any

from graphql_server.simulator import RunningSimulator, SimulatedCluster
from tests.conftest import RunningServer
from tests.connectivity.conftest import PROM_PASSWORD, PROM_USER, Prometheus
from tests.connectivity.servers import GRAFANA_TOKEN
from tests.helpers import data

from .conftest import SIM_TOKEN
from .gql import CONNECTIONS, CREATE_CREDENTIAL, EVENTS, REGISTER, TEST, codes, errors, node


async def register(server: RunningServer, **form: Any) -> dict[str, Any]:
    result = await data(server.graphql, REGISTER, {"input": form})
    return dict(result["registerConnection"])


async def test_prometheus_by_url_with_metrics_and_environment(
    server: RunningServer, prometheus: Prometheus
) -> None:
    env = await data(server.graphql, 'mutation { createEnvironment(input: {name: "lab"}) { id } }')
    env_id = env["createEnvironment"]["id"]
    metrics = ["up", "prometheus_build_info", "no_such_metric_total"]
    result = await register(
        server,
        kind="prometheus",
        url=prometheus.url + "/",
        name="lab prometheus",
        registration={"metrics": metrics},
        environmentIds=[env_id],
    )
    connection = result["connection"]
    assert connection["status"] == "CONNECTED"
    assert connection["name"] == "lab prometheus"
    assert connection["url"] == prometheus.url
    assert connection["registration"] == {"metrics": metrics}
    assert connection["environments"] == [{"id": env_id, "name": "lab"}]
    assert connection["component"]["displayName"] == "Prometheus"
    assert connection["lastTest"]["ok"] is True
    assert connection["lastTest"]["serverVersion"]
    assert "no_such_metric_total" in connection["lastTest"]["message"]
    assert connection["credential"] is None

    again = await register(server, kind="prometheus", url=prometheus.url)
    assert again["connection"]["id"] == connection["id"], "same kind and URL: same connection"
    assert again["connection"]["registration"] == {"metrics": metrics}
    listed = await data(server.graphql, CONNECTIONS, {"filter": {"environmentIds": [env_id]}})
    assert listed["connections"]["totalCount"] == 1
    log = await data(server.graphql, EVENTS, {"filter": {"subjectIds": [connection["id"]]}})
    categories = {e["node"]["category"] for e in log["events"]["edges"]}
    assert {"registration", "connectivity_test"} <= categories


async def test_prometheus_basic_auth_with_a_new_secret(
    server: RunningServer, prometheus_basic: Prometheus
) -> None:
    wrong = await register(
        server,
        kind="prometheus",
        url=prometheus_basic.url,
        credential={
            "type": "basic",
            "name": "wrong prom password",
            "data": {"username": PROM_USER, "password": "not-it-7c1e"},
        },
    )
    assert wrong["connection"]["status"] == "REGISTERED"
    assert wrong["connection"]["lastTest"]["ok"] is False
    assert wrong["connection"]["credential"]["name"] == "wrong prom password"

    refused = await errors(
        server.graphql,
        REGISTER,
        {
            "input": {
                "kind": "prometheus",
                "url": prometheus_basic.url.replace("127.0.0.1", "localhost"),
                "credential": {
                    "type": "basic",
                    "data": {"username": PROM_USER, "password": "still-not-it"},
                },
                "requireConnectivity": True,
            }
        },
    )
    assert refused[0]["extensions"]["code"] == "CONNECTIVITY_FAILED"
    names = await data(server.graphql, "{ credentials { name } connections { totalCount } }")
    assert names["credentials"] == [{"name": "wrong prom password"}]
    assert names["connections"]["totalCount"] == 1, "a refused registration stores nothing"

    fixed = await register(
        server,
        connectionId=wrong["connection"]["id"],
        credential={"type": "basic", "data": {"username": PROM_USER, "password": PROM_PASSWORD}},
    )
    assert fixed["connection"]["id"] == wrong["connection"]["id"]
    assert fixed["connection"]["status"] == "CONNECTED"
    fields = {f["name"]: f for f in fixed["connection"]["credential"]["fields"]}
    assert fields["username"] == {
        "name": "username",
        "set": True,
        "secret": False,
        "value": PROM_USER,
    }
    assert fields["password"] == {"name": "password", "set": True, "secret": True, "value": None}


async def test_grafana_with_a_stored_credential(server: RunningServer, grafana_url: str) -> None:
    created = await data(
        server.graphql,
        CREATE_CREDENTIAL,
        {
            "input": {
                "name": "grafana sa",
                "kind": "grafana",
                "type": "api_token",
                "data": {"token": GRAFANA_TOKEN},
            }
        },
    )
    credential_id = created["createCredential"]["id"]
    result = await register(server, kind="grafana", url=grafana_url, credentialId=credential_id)
    assert result["connection"]["status"] == "CONNECTED"
    assert result["connection"]["credential"]["id"] == credential_id
    mismatch = await codes(
        server.graphql,
        REGISTER,
        {"input": {"kind": "prometheus", "url": grafana_url, "credentialId": credential_id}},
    )
    assert mismatch == ["BAD_INPUT"]
    elsewhere = grafana_url.replace("127.0.0.1", "localhost")
    assert await codes(
        server.graphql, REGISTER, {"input": {"kind": "grafana", "url": elsewhere}}
    ) == ["BAD_INPUT"], "Grafana needs a credential"
    again = await register(server, kind="grafana", url=grafana_url)
    assert again["connection"]["id"] == result["connection"]["id"]
    assert again["connection"]["credential"]["id"] == credential_id, "kept on re-registration"
    assert await codes(server.graphql, REGISTER, {"input": {"kind": "mysql", "url": "x"}}) == [
        "BAD_INPUT"
    ]


def _ca_free_token(running: RunningSimulator, token: str) -> dict[str, Any]:
    return {"type": "token", "data": {"server": running.url, "token": token}}


async def test_simulated_cluster_with_right_and_wrong_tokens(
    server: RunningServer, simulated: RunningSimulator
) -> None:
    adhoc = await data(
        server.graphql,
        TEST,
        {"input": {"kind": "kubernetes", "credential": _ca_free_token(simulated, SIM_TOKEN)}},
    )
    assert adhoc["testConnection"]["ok"] is True
    assert adhoc["testConnection"]["status"] == "CONNECTED"
    assert adhoc["testConnection"]["serverVersion"] == "v1.31.0-sim"
    wrong = await data(
        server.graphql,
        TEST,
        {"input": {"kind": "kubernetes", "credential": _ca_free_token(simulated, "bad-token")}},
    )
    assert wrong["testConnection"]["ok"] is False
    assert wrong["testConnection"]["status"] == "REGISTERED"
    assert wrong["testConnection"]["details"]["reason"] == "unauthenticated"

    refused = await register(
        server, kind="kubernetes", name="sim", credential=_ca_free_token(simulated, "bad-token")
    )
    connection = refused["connection"]
    assert connection["status"] == "REGISTERED"
    assert connection["url"] == simulated.url
    assert connection["component"]["displayName"] == "Kubernetes"

    good = await data(
        server.graphql,
        CREATE_CREDENTIAL,
        {
            "input": {
                "name": "sim token",
                "kind": "kubernetes",
                "type": "token",
                "data": {"server": simulated.url, "token": SIM_TOKEN},
            }
        },
    )
    tested = await data(
        server.graphql,
        TEST,
        {
            "input": {
                "connectionId": connection["id"],
                "credentialId": good["createCredential"]["id"],
            }
        },
    )
    assert tested["testConnection"]["ok"] is True
    assert (await node(server.graphql, connection["id"]))["status"] == "REGISTERED"
    fixed = await register(
        server, connectionId=connection["id"], credentialId=good["createCredential"]["id"]
    )
    assert fixed["connection"]["status"] == "CONNECTED"


async def test_a_kubeconfig_registers_one_connection_per_context(
    server: RunningServer, simulated: RunningSimulator, tmp_path: Any
) -> None:
    other = SimulatedCluster("other", seed=9, token="other-token-3b7d")
    other.seed_objects(50)
    async with other.serving() as running_other:
        path = simulated.write_kubeconfig(tmp_path / "kubeconfig", "sim")
        running_other.write_kubeconfig(path, "other", merge=True)
        text = path.read_text()
        result = await register(
            server,
            kind="kubernetes",
            credential={"type": "kubeconfig", "name": "two clusters", "data": {"kubeconfig": text}},
        )
    by_name = {c["name"]: c for c in result["connections"]}
    assert set(by_name) == {"sim", "other"}
    assert {c["status"] for c in by_name.values()} == {"CONNECTED"}
    assert by_name["other"]["url"] == running_other.url
    assert by_name["sim"]["credential"]["id"] == by_name["other"]["credential"]["id"]
    assert by_name["sim"]["metadata"]["context"] == "sim"
    kubeconfig_field = next(
        f for f in by_name["sim"]["credential"]["fields"] if f["name"] == "kubeconfig"
    )
    assert kubeconfig_field == {"name": "kubeconfig", "set": True, "secret": True, "value": None}


async def test_a_pasted_kubeconfig_may_not_run_programs(server: RunningServer) -> None:
    kubeconfig = (
        "current-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n"
        "contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n"
        "users:\n- name: u\n  user:\n    exec:\n      command: /bin/sh\n"
    )
    refused = await errors(
        server.graphql,
        REGISTER,
        {
            "input": {
                "kind": "kubernetes",
                "credential": {"type": "kubeconfig", "data": {"kubeconfig": kubeconfig}},
            }
        },
    )
    assert refused[0]["extensions"]["code"] == "BAD_INPUT"
    assert "exec" in refused[0]["message"]
    stored = await data(server.graphql, "{ credentials { id } connections { totalCount } }")
    assert stored == {"credentials": [], "connections": {"totalCount": 0}}
