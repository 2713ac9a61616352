"""Reading inline kubeconfigs into probe targets."""

from __future__ import annotations

import base64

import orjson
import pytest

from graphql_server.connectivity.kubeconfig import target_from_credential
from graphql_server.errors import BadInput


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def kubeconfig(
    *, server: str = "https://10.0.0.1:6443", user: str = "    token: sekret-token-value\n"
) -> str:
    return (
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
        "clusters:\n"
        f"- name: dev-cluster\n  cluster:\n    server: {server}\n"
        f"    certificate-authority-data: {b64(CA)}\n"
        "- name: prod-cluster\n  cluster:\n    server: https://prod.example:6443\n"
        "    insecure-skip-tls-verify: true\n    tls-server-name: kubernetes\n"
        "contexts:\n"
        "- name: dev\n  context:\n    cluster: dev-cluster\n    user: dev-user\n"
        "- name: prod\n  context:\n    cluster: prod-cluster\n    user: prod-user\n"
        "users:\n"
        f"- name: dev-user\n  user:\n{user}"
        "- name: prod-user\n  user:\n    token: prod-token\n"
    )


def test_current_context() -> None:
    target = target_from_credential("kubeconfig", {"kubeconfig": kubeconfig()})
    assert target.server == "https://10.0.0.1:6443"
    assert target.context == "dev"
    assert target.token == "sekret-token-value"
    assert target.ca_pem == CA
    assert not target.insecure_skip_tls_verify
    assert "sekret" not in repr(target)


def test_named_context_and_url_override() -> None:
    credential = {"kubeconfig": kubeconfig(), "context": "prod"}
    target = target_from_credential("kubeconfig", credential, "https://override:6443")
    assert target.server == "https://override:6443"
    assert target.token == "prod-token"
    assert target.insecure_skip_tls_verify
    assert target.tls_server_name == "kubernetes"


def test_json_kubeconfig() -> None:
    config = {
        "current-context": "c",
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "clusters": [{"name": "k", "cluster": {"server": "http://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {}}],
    }
    target = target_from_credential("kubeconfig", {"kubeconfig": orjson.dumps(config).decode()})
    assert target.server == "http://127.0.0.1:1"
    assert target.token is None


def test_client_certificate() -> None:
    user = f"    client-certificate-data: {b64(CA)}\n    client-key-data: {b64('-----BEGIN KEY')}\n"
    target = target_from_credential("kubeconfig", {"kubeconfig": kubeconfig(user=user)})
    assert target.client_cert_pem == CA
    assert target.client_key_pem == "-----BEGIN KEY"


@pytest.mark.parametrize(
    ("user", "problem"),
    [
        ("    exec:\n      command: aws\n", "'exec' plugin"),
        ("    auth-provider:\n      name: gcp\n", "'auth-provider' plugin"),
        ("    token-file: /var/run/secrets/token\n", "'token-file' \\(a file path\\)"),
        ("    client-certificate: /etc/passwd\n", "'client-certificate' \\(a file path\\)"),
        (f"    client-certificate-data: {b64(CA)}\n", "both client-certificate-data"),
        ("    client-certificate-data: '!!notbase64'\n    client-key-data: eA==\n", "not base64"),
    ],
)
def test_unusable_users_are_refused(user: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        target_from_credential("kubeconfig", {"kubeconfig": kubeconfig(user=user)})


@pytest.mark.parametrize(
    ("text", "context", "problem"),
    [
        ("{not: [yaml", None, "not valid YAML"),
        ("- a\n- b\n", None, "not a mapping"),
        ("clusters: []\n", None, "no current-context"),
        (kubeconfig(), "staging", "no context named 'staging'"),
        (kubeconfig().replace("cluster: dev-cluster", "cluster: gone"), None, "no cluster"),
        (kubeconfig(server="''"), None, "no server URL"),
        (
            kubeconfig().replace("certificate-authority-data", "certificate-authority"),
            None,
            "'certificate-authority' \\(a file path\\)",
        ),
    ],
)
def test_malformed_kubeconfigs(text: str, context: str | None, problem: str) -> None:
    credential: dict[str, str] = {"kubeconfig": text}
    if context:
        credential["context"] = context
    with pytest.raises(BadInput, match=problem) as caught:
        target_from_credential("kubeconfig", credential)
    assert "sekret-token-value" not in caught.value.message


def test_token_credential() -> None:
    target = target_from_credential(
        "token",
        {"token": "t0ken", "server": "https://a:6443", "certificateAuthorityData": b64(CA)},
    )
    assert (target.server, target.token, target.ca_pem) == ("https://a:6443", "t0ken", CA)
    assert target_from_credential("token", {"token": "t"}, "https://b").server == "https://b"
    with pytest.raises(BadInput, match="needs a server URL"):
        target_from_credential("token", {"token": "t"})
    with pytest.raises(BadInput, match="not base64-encoded PEM"):
        target_from_credential("token", {"token": "t", "certificateAuthorityData": b64("x")}, "h")
