"""The probable cause and suggested fix of each failure reason a probe reports."""

from __future__ import annotations

import pytest

from graphql_server.connectivity.diagnosis import diagnose, is_cluster_internal


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("unreachable", "Nothing accepts connections"),
        ("dns", "could not be resolved"),
        ("timeout", "did not answer in time"),
        ("tls", "TLS handshake failed"),
        ("unauthenticated", "HTTP 401"),
        ("forbidden", "HTTP 403"),
    ],
)
def test_known_reasons(reason: str, cause: str) -> None:
    found = diagnose(reason, "https://prometheus.example.com:9090")
    assert found is not None
    assert cause in found.probable_cause
    assert found.suggested_fix


@pytest.mark.parametrize("reason", [None, "", "unexpected_response", "internal", "version"])
def test_unknown_reasons_have_none(reason: str | None) -> None:
    assert diagnose(reason, "http://127.0.0.1:9090") is None


@pytest.mark.parametrize(
    ("url", "internal"),
    [
        ("http://metrics-store.monitoring.svc:9090", True),
        ("http://grafana.monitoring.svc.cluster.local", True),
        ("https://grafana.monitoring.svc.corp.example:3000/", True),
        ("prometheus.monitoring.svc", True),
        ("http://svc.example.com", False),
        ("http://127.0.0.1:9090", False),
    ],
)
def test_cluster_internal_urls(url: str, internal: bool) -> None:
    assert is_cluster_internal(url) is internal


def test_cluster_internal_url_explains_network_failures_only() -> None:
    url = "http://metrics-store.monitoring.svc:9090"
    for reason in ("unreachable", "dns", "timeout"):
        found = diagnose(reason, url)
        assert found is not None
        assert "inside a Kubernetes cluster" in found.probable_cause
    tls = diagnose("tls", url)
    assert tls is not None
    assert "TLS" in tls.probable_cause
