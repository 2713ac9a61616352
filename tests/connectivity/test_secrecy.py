"""No secret value reaches a result, a message, a repr or a log line."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from graphql_server.connectivity import ConnectivityResult, check_connectivity
from graphql_server.connectivity.kubeconfig import target_from_credential
from graphql_server.errors import BadInput

from .conftest import PROM_PASSWORD, PROM_USER, Prometheus
from .servers import GRAFANA_PASSWORD, GRAFANA_TOKEN, GRAFANA_USER, KUBE_TOKEN

WRONG_TOKEN = "wrong-token-6e1d0b9f"
WRONG_PASSWORD = "wrong-password-5a7c3e"


def _assert_clean(result: ConnectivityResult, secrets: list[str]) -> None:
    texts = [repr(result), result.message, repr(dict(result.details))]
    for secret in secrets:
        for text in texts:
            assert secret not in text
        assert base64.b64encode(secret.encode()).decode() not in repr(result)


async def test_no_secret_in_results_or_logs(
    caplog: pytest.LogCaptureFixture,
    kube_url: str,
    grafana_url: str,
    closed_url: str,
    prometheus_basic: Prometheus,
) -> None:
    caplog.set_level(logging.DEBUG)
    attempts: list[tuple[str, str, str, dict[str, Any]]] = [
        ("kubernetes", kube_url, "token", {"token": KUBE_TOKEN}),
        ("kubernetes", kube_url, "token", {"token": WRONG_TOKEN}),
        ("kubernetes", closed_url, "token", {"token": KUBE_TOKEN}),
        ("grafana", grafana_url, "api_token", {"token": GRAFANA_TOKEN}),
        ("grafana", grafana_url, "api_token", {"token": WRONG_TOKEN}),
        ("grafana", grafana_url, "basic", {"username": GRAFANA_USER, "password": GRAFANA_PASSWORD}),
        ("grafana", grafana_url, "basic", {"username": GRAFANA_USER, "password": WRONG_PASSWORD}),
        ("grafana", closed_url, "basic", {"username": GRAFANA_USER, "password": GRAFANA_PASSWORD}),
        (
            "prometheus",
            prometheus_basic.url,
            "basic",
            {"username": PROM_USER, "password": PROM_PASSWORD},
        ),
        (
            "prometheus",
            prometheus_basic.url,
            "basic",
            {"username": PROM_USER, "password": WRONG_PASSWORD},
        ),
    ]
    secrets = [
        KUBE_TOKEN,
        WRONG_TOKEN,
        GRAFANA_TOKEN,
        GRAFANA_PASSWORD,
        WRONG_PASSWORD,
        PROM_PASSWORD,
    ]
    outcomes = []
    for kind, url, credential_type, credential in attempts:
        result = await check_connectivity(
            kind, url=url, credential_type=credential_type, credential=credential
        )
        outcomes.append(result.ok)
        _assert_clean(result, secrets)
    assert outcomes == [True, False, False, True, False, True, False, False, True, False]
    assert caplog.records, "probes log their outcome"
    for secret in secrets:
        assert secret not in caplog.text


async def test_no_secret_in_bad_input_or_target_repr(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BadInput) as caught:
        await check_connectivity(
            "grafana",
            url="http://h",
            credential_type="basic",
            credential={"username": GRAFANA_USER, "password": f"{GRAFANA_PASSWORD}\r\nX: y"},
        )
    assert GRAFANA_PASSWORD not in str(caught.value)
    assert GRAFANA_PASSWORD not in repr(caught.value.details)
    config = (
        "current-context: c\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
        "clusters: [{name: k, cluster: {server: 'https://h'}}]\n"
        f"users: [{{name: u, user: {{token: {KUBE_TOKEN}}}}}]\n"
    )
    target = target_from_credential("kubeconfig", {"kubeconfig": config})
    assert target.token == KUBE_TOKEN
    assert KUBE_TOKEN not in repr(target)
    assert KUBE_TOKEN not in caplog.text
