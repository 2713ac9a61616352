"""Grafana connectivity tests against a real HTTP server answering like Grafana."""

from __future__ import annotations

from graphql_server.connectivity import check_connectivity
from graphql_server.lifecycle import ConnectionStatus

from .servers import (
    GRAFANA_PASSWORD,
    GRAFANA_TOKEN,
    GRAFANA_USER,
    GRAFANA_VERSION,
    grafana_app,
    serve,
)


async def test_api_token_connects(grafana_url: str) -> None:
    result = await check_connectivity(
        "grafana", url=grafana_url, credential_type="api_token", credential={"token": GRAFANA_TOKEN}
    )
    assert result.ok, result.message
    assert result.status is ConnectionStatus.CONNECTED
    assert result.server_version == GRAFANA_VERSION
    assert result.details["organization"] == "Main Org."


async def test_basic_auth_connects(grafana_url: str) -> None:
    credential = {"username": GRAFANA_USER, "password": GRAFANA_PASSWORD}
    result = await check_connectivity(
        "grafana", url=grafana_url, credential_type="basic", credential=credential
    )
    assert result.ok, result.message


async def test_wrong_credentials_are_rejected(grafana_url: str) -> None:
    for credential_type, credential in (
        ("api_token", {"token": "glsa_wrong"}),
        ("basic", {"username": GRAFANA_USER, "password": "wrong-password"}),
    ):
        result = await check_connectivity(
            "grafana", url=grafana_url, credential_type=credential_type, credential=credential
        )
        assert not result.ok
        assert result.status is ConnectionStatus.REGISTERED
        assert result.details["reason"] == "unauthenticated"
        assert result.server_version == GRAFANA_VERSION, "health answered before auth failed"


async def test_unhealthy_database() -> None:
    async with serve(grafana_app(database="failing")) as url:
        result = await check_connectivity(
            "grafana", url=url, credential_type="api_token", credential={"token": GRAFANA_TOKEN}
        )
    assert not result.ok
    assert result.details["http_status"] == 503


async def test_grafana_under_a_sub_path_is_not_found(grafana_url: str) -> None:
    result = await check_connectivity(
        "grafana",
        url=f"{grafana_url}/grafana/",
        credential_type="api_token",
        credential={"token": GRAFANA_TOKEN},
    )
    assert not result.ok
    assert result.details["url"] == f"{grafana_url}/grafana"
    assert "/api/health" in result.message
