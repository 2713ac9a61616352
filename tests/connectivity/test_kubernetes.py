"""Kubernetes connectivity tests against a real HTTP(S) API server fixture."""

from __future__ import annotations

import base64

from aiohttp import web

from graphql_server.connectivity import check_connectivity
from graphql_server.lifecycle import ConnectionStatus

from .pki import Pki
from .servers import (
    AUTHENTICATED,
    KUBE_CLIENT_CN,
    KUBE_LIMITED_TOKEN,
    KUBE_TOKEN,
    KUBE_VERSION,
    SEEN,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def kubeconfig(server: str, user: str, cluster_extra: str = "") -> str:
    return (
        "current-context: fixture\n"
        f"clusters:\n- name: c\n  cluster:\n    server: {server}\n{cluster_extra}"
        "contexts:\n- name: fixture\n  context:\n    cluster: c\n    user: u\n"
        f"users:\n- name: u\n  user:\n{user}"
    )


async def test_good_token_connects(kube_url: str) -> None:
    result = await check_connectivity(
        "kubernetes", credential_type="token", credential={"token": KUBE_TOKEN, "server": kube_url}
    )
    assert result.ok, result.message
    assert result.status is ConnectionStatus.CONNECTED
    assert result.server_version == KUBE_VERSION
    assert result.latency_ms is not None
    assert result.latency_ms > 0
    assert result.details["http_status"] == 200
    assert KUBE_VERSION in result.message


async def test_probe_asks_version_then_one_namespace(
    kube_url: str, kube_app: web.Application
) -> None:
    await check_connectivity(
        "kubernetes", url=kube_url, credential_type="token", credential={"token": KUBE_TOKEN}
    )
    assert kube_app[SEEN] == [
        {"path": "/version", "query": {}},
        {"path": "/api/v1/namespaces", "query": {"limit": "1"}},
    ]


async def test_wrong_token_is_unauthenticated(kube_url: str) -> None:
    result = await check_connectivity(
        "kubernetes", url=kube_url, credential_type="token", credential={"token": "wrong-token"}
    )
    assert not result.ok
    assert result.status is ConnectionStatus.REGISTERED
    assert result.details["reason"] == "unauthenticated"
    assert result.details["http_status"] == 401
    assert "401" in result.message
    assert result.server_version is None


async def test_token_without_rbac_is_forbidden(kube_url: str) -> None:
    result = await check_connectivity(
        "kubernetes",
        url=kube_url,
        credential_type="token",
        credential={"token": KUBE_LIMITED_TOKEN},
    )
    assert not result.ok
    assert result.status is ConnectionStatus.REGISTERED
    assert result.details["reason"] == "forbidden"
    assert "/api/v1/namespaces" in result.message
    assert result.server_version == KUBE_VERSION


async def test_inline_kubeconfig_with_token(kube_url: str) -> None:
    config = kubeconfig(kube_url, f"    token: {KUBE_TOKEN}\n")
    result = await check_connectivity(
        "kubernetes", credential_type="kubeconfig", credential={"kubeconfig": config}
    )
    assert result.ok, result.message
    assert result.details["context"] == "fixture"
    assert result.details["url"] == kube_url


async def test_tls_with_ca_data_and_client_certificate(
    kube_tls_url: str, kube_tls_app: web.Application, pki: Pki
) -> None:
    user = (
        f"    client-certificate-data: {b64(pki.client_cert_pem)}\n"
        f"    client-key-data: {b64(pki.client_key_pem)}\n"
    )
    config = kubeconfig(kube_tls_url, user, f"    certificate-authority-data: {b64(pki.ca_pem)}\n")
    result = await check_connectivity(
        "kubernetes", credential_type="kubeconfig", credential={"kubeconfig": config}
    )
    assert result.ok, result.message
    # The server saw the client certificate (no token) and took its name as the user.
    seen = kube_tls_app[AUTHENTICATED]
    assert seen, "the probe reached the server"
    assert set(seen) == {f"certificate:{KUBE_CLIENT_CN}"}


async def test_tls_with_token_and_ca(kube_tls_url: str, pki: Pki) -> None:
    credential = {"token": KUBE_TOKEN, "certificateAuthorityData": b64(pki.ca_pem)}
    result = await check_connectivity(
        "kubernetes", url=kube_tls_url, credential_type="token", credential=credential
    )
    assert result.ok, result.message


async def test_tls_with_unknown_ca_fails_clearly(kube_tls_url: str, pki: Pki) -> None:
    credential = {"token": KUBE_TOKEN, "certificateAuthorityData": b64(pki.other_ca_pem)}
    result = await check_connectivity(
        "kubernetes", url=kube_tls_url, credential_type="token", credential=credential
    )
    assert not result.ok
    assert result.details["reason"] == "tls"
    assert "certificate" in result.message
    assert result.status is ConnectionStatus.REGISTERED


async def test_tls_without_ca_fails_and_insecure_skip_works(kube_tls_url: str) -> None:
    result = await check_connectivity(
        "kubernetes", url=kube_tls_url, credential_type="token", credential={"token": KUBE_TOKEN}
    )
    assert result.details["reason"] == "tls"
    insecure = {"token": KUBE_TOKEN, "insecureSkipTlsVerify": True}
    result = await check_connectivity(
        "kubernetes", url=kube_tls_url, credential_type="token", credential=insecure
    )
    assert result.ok, result.message


async def test_tls_without_client_identity_is_forbidden(kube_tls_url: str, pki: Pki) -> None:
    config = kubeconfig(
        kube_tls_url, "    {}\n", f"    certificate-authority-data: {b64(pki.ca_pem)}\n"
    )
    result = await check_connectivity(
        "kubernetes", credential_type="kubeconfig", credential={"kubeconfig": config}
    )
    assert not result.ok
    assert result.details["reason"] == "forbidden"


async def test_https_to_a_plain_http_server_fails_clearly(kube_url: str) -> None:
    url = kube_url.replace("http://", "https://")
    result = await check_connectivity(
        "kubernetes", url=url, credential_type="token", credential={"token": KUBE_TOKEN}
    )
    assert not result.ok
    assert result.details["reason"] in {"tls", "transport"}
