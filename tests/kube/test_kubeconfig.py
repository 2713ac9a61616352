"""The one kubeconfig parser and inline-kubeconfig policy, and both of its users."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from graphql_server.connectivity.kubeconfig import target_from_credential
from graphql_server.errors import BadInput
from graphql_server.kube.credentials import client_from_kubeconfig_text
from graphql_server.kube.kubeconfig import (
    check_inline,
    context_names,
    kubeconfig_servers,
    parse_kubeconfig,
    resolve_context,
)

GOOD = {
    "current-context": "a",
    "contexts": [
        {"name": "b", "context": {"cluster": "kb", "user": "ub"}},
        {"name": "a", "context": {"cluster": "ka", "user": "ua"}},
    ],
    "clusters": [
        {"name": "ka", "cluster": {"server": "https://a.example:6443"}},
        {"name": "kb", "cluster": {"server": "https://b.example:6443"}},
    ],
    "users": [{"name": "ua", "user": {"token": "t"}}, {"name": "ub", "user": {"token": "u"}}],
}


def _with_unused(section: str, body: dict[str, object]) -> dict[str, object]:
    """GOOD plus an entry no context uses: the policy still reads it."""
    config = dict(GOOD)
    entries = list(GOOD[section])  # type: ignore[call-overload]
    entries.append({"name": "spare", section[:-1]: body})
    config[section] = entries
    return config


@pytest.mark.parametrize(
    ("section", "body", "problem"),
    [
        ("users", {"exec": {"command": "aws"}}, "'exec' plugin"),
        ("users", {"auth-provider": {"name": "gcp"}}, "'auth-provider' plugin"),
        ("users", {"token-file": "/t"}, "'token-file' \\(a file path\\)"),
        ("users", {"client-certificate": "/c"}, "'client-certificate' \\(a file path\\)"),
        ("users", {"client-key": "/k"}, "'client-key' \\(a file path\\)"),
        ("clusters", {"certificate-authority": "/ca"}, "'certificate-authority' \\(a file"),
    ],
)
def test_refused_anywhere_in_the_document(
    section: str, body: dict[str, object], problem: str
) -> None:
    config = _with_unused(section, body)
    with pytest.raises(BadInput, match=problem):
        check_inline(config)
    text = orjson.dumps(config).decode()
    with pytest.raises(BadInput, match=problem):
        target_from_credential("kubeconfig", {"kubeconfig": text})


async def test_the_client_builder_applies_the_same_policy() -> None:
    text = orjson.dumps(_with_unused("users", {"client-key": "/k"})).decode()
    with pytest.raises(BadInput, match="'client-key' \\(a file path\\)"):
        await client_from_kubeconfig_text(text)


def test_contexts_and_servers(tmp_path: Path) -> None:
    check_inline(GOOD)
    assert context_names(GOOD) == ["a", "b"]
    chosen = resolve_context(GOOD, None)
    assert chosen.name == "a"
    assert chosen.cluster["server"] == "https://a.example:6443"
    assert chosen.user["token"] == "t"
    with pytest.raises(BadInput, match="no context named 'c'"):
        resolve_context(GOOD, "c")
    path = tmp_path / "config"
    path.write_bytes(orjson.dumps(GOOD))
    assert kubeconfig_servers(path) == {
        "b": "https://b.example:6443",
        "a": "https://a.example:6443",
    }
    path.write_text("{not: [yaml")
    assert kubeconfig_servers(path) == {}
    assert kubeconfig_servers(tmp_path / "missing") == {}


@pytest.mark.parametrize(("text", "problem"), [("{x: [", "not valid YAML"), ("- 1\n", "mapping")])
def test_unparseable_documents(text: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        parse_kubeconfig(text)
