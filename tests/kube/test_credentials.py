"""Cluster clients built from stored credentials, against the simulated cluster."""

from __future__ import annotations

import orjson
import pytest

from graphql_server.errors import BadInput, ConfigurationError, KubernetesError
from graphql_server.kube.credentials import client_from_kubeconfig_text, client_from_token
from graphql_server.kube.discovery import identify
from graphql_server.simulator import RunningSimulator

from .conftest import SIM_TOKEN


async def test_a_token_reaches_the_cluster_and_a_wrong_one_does_not(
    simulated: RunningSimulator,
) -> None:
    client = await client_from_token(simulated.url, SIM_TOKEN)
    try:
        assert (await identify(client)).uid == simulated.cluster.uid
    finally:
        await client.close()
    client = await client_from_token(simulated.url, "wrong-token")
    try:
        with pytest.raises(KubernetesError) as failure:
            await identify(client)
        assert failure.value.status == 401
    finally:
        await client.close()


async def test_kubeconfig_text_with_a_chosen_context(simulated: RunningSimulator) -> None:
    text = orjson.dumps(simulated.kubeconfig("chosen")).decode()
    client = await client_from_kubeconfig_text(text, "chosen")
    try:
        assert (await identify(client)).uid == simulated.cluster.uid
    finally:
        await client.close()
    with pytest.raises(ConfigurationError) as failure:
        await client_from_kubeconfig_text(text, "missing")
    assert SIM_TOKEN not in failure.value.message


@pytest.mark.parametrize(
    "user",
    [
        {"exec": {"command": "/bin/sh", "apiVersion": "client.authentication.k8s.io/v1"}},
        {"token-file": "/etc/shadow"},
        {"client-certificate": "/etc/ssl/c.pem", "client-key": "/etc/ssl/k.pem"},
    ],
)
async def test_a_pasted_kubeconfig_may_not_reach_this_servers_files(
    user: dict[str, object],
) -> None:
    config = {
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    with pytest.raises(BadInput):
        await client_from_kubeconfig_text(orjson.dumps(config).decode())


async def test_a_file_certificate_authority_is_refused() -> None:
    config = {
        "clusters": [
            {"name": "c", "cluster": {"server": "https://x", "certificate-authority": "/ca"}}
        ],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    with pytest.raises(BadInput):
        await client_from_kubeconfig_text(orjson.dumps(config).decode())
    with pytest.raises(BadInput):
        await client_from_kubeconfig_text("::: not yaml :::\n\t- [")
