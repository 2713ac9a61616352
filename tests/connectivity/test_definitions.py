"""Connection definitions, credential schemas, validation and redaction."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from graphql_server.connectivity import (
    DEFINITIONS,
    get_definition,
    redact_secret,
    validate_registration,
    validate_secret,
)
from graphql_server.errors import BadInput


def test_three_kinds_with_types_and_components() -> None:
    table = {
        kind: (d.type, d.sub_type, d.default_port, d.default_protocol, d.model, d.component_kind)
        for kind, d in DEFINITIONS.items()
    }
    assert table == {
        "kubernetes": ("platform", "orchestration", 6443, "https", "kubernetes", "Cluster"),
        "prometheus": ("observability", "monitoring", 9090, "http", "prometheus", "Prometheus"),
        "grafana": ("observability", "dashboards", 3000, "http", "grafana", "Grafana"),
    }


def test_credential_types_per_kind() -> None:
    assert list(DEFINITIONS["kubernetes"].credentials) == ["kubeconfig", "token"]
    assert list(DEFINITIONS["prometheus"].credentials) == ["none", "basic", "bearer"]
    assert list(DEFINITIONS["grafana"].credentials) == ["api_token", "basic"]


@pytest.mark.parametrize(
    ("kind", "credential_type", "secret_fields"),
    [
        ("kubernetes", "kubeconfig", {"kubeconfig"}),
        ("kubernetes", "token", {"token"}),
        ("prometheus", "none", set()),
        ("prometheus", "basic", {"password"}),
        ("prometheus", "bearer", {"token"}),
        ("grafana", "api_token", {"token"}),
        ("grafana", "basic", {"password"}),
    ],
)
def test_secret_fields_are_write_only(
    kind: str, credential_type: str, secret_fields: set[str]
) -> None:
    credential = get_definition(kind).credential(credential_type)
    assert credential.secret_fields == secret_fields
    props = credential.schema["properties"]
    for name in secret_fields:
        assert props[name]["writeOnly"] is True
        assert name == "kubeconfig" or props[name]["format"] == "password"


def test_definitions_serialise_for_clients() -> None:
    exported = orjson.loads(orjson.dumps([d.as_dict() for d in DEFINITIONS.values()]))
    prometheus = exported[1]
    assert prometheus["kind"] == "prometheus"
    assert prometheus["subType"] == "monitoring"
    assert prometheus["registrationSchema"]["properties"]["metrics"]["type"] == "array"
    assert [c["type"] for c in prometheus["credentials"]] == ["none", "basic", "bearer"]


def test_validate_fills_defaults_and_strips() -> None:
    data = validate_secret("kubernetes", "token", {"token": "  abc \n", "server": "https://k:6443"})
    assert data == {"token": "abc", "server": "https://k:6443", "insecureSkipTlsVerify": False}
    assert validate_secret("prometheus", "none", None) == {}
    assert validate_registration("prometheus", None) == {"metrics": []}
    assert validate_registration("kubernetes", {}) == {}


@pytest.mark.parametrize(
    ("kind", "credential_type", "data", "field", "problem"),
    [
        ("prometheus", "basic", {"username": "u"}, "password", "is required"),
        ("prometheus", "basic", {"username": "u", "password": 12345}, "password", "a string"),
        ("prometheus", "basic", {"username": "a:b", "password": "p"}, "username", "not allowed"),
        ("prometheus", "bearer", {"token": "two words"}, "token", "not allowed"),
        ("prometheus", "bearer", {"token": "   "}, "token", "must not be empty"),
        ("prometheus", "none", {"token": "sneaky"}, "token", "not accepted"),
        ("grafana", "api_token", {}, "token", "is required"),
        ("kubernetes", "token", {"token": "t", "server": "ftp://x"}, "server", "http"),
        ("kubernetes", "token", {"token": "t", "insecureSkipTlsVerify": "yes"}, "insecure", "true"),
        ("kubernetes", "kubeconfig", {"kubeconfig": ["a"]}, "kubeconfig", "a string"),
    ],
)
def test_validation_names_the_field_never_the_value(
    kind: str, credential_type: str, data: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(BadInput) as caught:
        validate_secret(kind, credential_type, data)
    message = caught.value.message
    assert field in message
    assert problem in message
    assert caught.value.details["field"].startswith(field)
    for value in data.values():
        if isinstance(value, str) and len(value) > 2:
            assert value not in message


def test_registration_metrics_are_checked() -> None:
    assert validate_registration("prometheus", {"metrics": ["up", "node_cpu:rate5m"]}) == {
        "metrics": ["up", "node_cpu:rate5m"]
    }
    with pytest.raises(BadInput, match=r"metrics\[1\]"):
        validate_registration("prometheus", {"metrics": ["up", "bad name{}"]})
    with pytest.raises(BadInput, match="repeats"):
        validate_registration("prometheus", {"metrics": ["up", "up"]})
    with pytest.raises(BadInput, match="a list"):
        validate_registration("prometheus", {"metrics": "up"})


def test_unknown_kind_and_credential_type() -> None:
    with pytest.raises(BadInput, match="unknown connection kind 'loki'"):
        validate_secret("loki", "none", {})
    with pytest.raises(BadInput, match="accept credential types kubeconfig, token"):
        validate_secret("kubernetes", "basic", {})
    with pytest.raises(BadInput, match="must be an object"):
        validate_secret("prometheus", "none", ["x"])  # type: ignore[arg-type]


def test_redaction() -> None:
    data = {"username": "admin", "password": "hunter2"}
    assert redact_secret("grafana", "basic", data) == {"username": "admin", "password": "********"}
    assert data["password"] == "hunter2"
