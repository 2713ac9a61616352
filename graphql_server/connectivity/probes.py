"""Connectivity tests: can this server reach and use a Kubernetes, Prometheus or Grafana?

Each probe makes real HTTP calls within one deadline and returns a
:class:`ConnectivityResult`; unreachable hosts, timeouts, TLS errors, 401/403 and odd
bodies all become ``ok=False`` results. Only malformed input (unknown kind, bad URL,
credential data that fails its definition) raises :class:`BadInput`. Messages, details
and log lines name hosts and HTTP statuses, never credentials.

This module must not touch the store or change a connection's status; the caller
decides what to do with :attr:`ConnectivityResult.status`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from graphql_server.connectivity.definitions import (
    get_definition,
    validate_registration,
    validate_secret,
)
from graphql_server.connectivity.kubeconfig import target_from_credential
from graphql_server.connectivity.reach import ClusterProxy, Fetch, Reach, direct, through_proxy
from graphql_server.connectivity.transport import (
    ProbeFailure,
    Reply,
    build_ssl_context,
    fetch_json,
    normalize_url,
)
from graphql_server.errors import BadInput
from graphql_server.lifecycle import ConnectionStatus

__all__ = ["DEFAULT_TIMEOUT", "ConnectivityResult", "check_connectivity"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class ConnectivityResult:
    """Outcome of a connectivity test; ``status`` is what the connection would reach."""

    kind: str
    ok: bool
    status: ConnectionStatus
    message: str
    latency_ms: float | None = None
    server_version: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Report:
    where: str
    latency_ms: float | None = None
    server_version: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    async def first(self, call: Awaitable[Reply]) -> Reply:
        """Await the first request, recording its round-trip time as the latency."""
        started = time.perf_counter()
        reply = await call
        self.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        return reply

    def expect(self, reply: Reply, path: str, product: str) -> Any:
        self.details["http_status"] = reply.status
        if reply.status == 401:
            raise ProbeFailure(
                "unauthenticated", f"{self.where} rejected the credential (HTTP 401 on {path})"
            )
        if reply.status == 403:
            raise ProbeFailure(
                "forbidden", f"{self.where} denied access with this credential (HTTP 403 on {path})"
            )
        if not 200 <= reply.status < 300:
            raise ProbeFailure(
                "unexpected_response", f"{self.where} answered {path} with HTTP {reply.status}"
            )
        if not reply.is_json or not isinstance(reply.body, dict):
            raise ProbeFailure(
                "unexpected_response",
                f"{self.where} answered {path} with a body that is not {product} JSON",
            )
        return reply.body


_Steps = Callable[[aiohttp.ClientSession, _Report], Awaitable[str]]


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def auth_headers(credential_type: str, secret: Mapping[str, Any]) -> dict[str, str]:
    if credential_type == "basic":
        pair = f"{secret['username']}:{secret['password']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if credential_type in {"bearer", "api_token", "token"}:
        return _bearer(secret.get("token"))
    return {}


async def _kubernetes_steps(
    url: str, secret: Mapping[str, Any], credential_type: str
) -> tuple[_Steps, str]:
    target = target_from_credential(credential_type, secret, url or None)
    base = normalize_url(target.server, default_protocol="https")
    ssl_context = None
    if base.startswith("https://"):
        ssl_context = await asyncio.to_thread(
            build_ssl_context,
            ca_pem=target.ca_pem,
            insecure=target.insecure_skip_tls_verify,
            client_cert_pem=target.client_cert_pem,
            client_key_pem=target.client_key_pem,
        )
    common: dict[str, Any] = {
        "headers": _bearer(target.token),
        "ssl_context": ssl_context,
        "server_hostname": target.tls_server_name,
    }

    async def steps(session: aiohttp.ClientSession, report: _Report) -> str:
        if target.context:
            report.details["context"] = target.context
        reply = await report.first(fetch_json(session, f"{base}/version", **common))
        version = report.expect(reply, "/version", "Kubernetes").get("gitVersion")
        report.server_version = version if isinstance(version, str) else None
        reply = await fetch_json(
            session, f"{base}/api/v1/namespaces", params={"limit": "1"}, **common
        )
        body = report.expect(reply, "/api/v1/namespaces", "Kubernetes")
        if body.get("kind") != "NamespaceList":
            raise ProbeFailure(
                "unexpected_response", f"{report.where} did not answer with a NamespaceList"
            )
        return f"Kubernetes {report.server_version or ''} at {report.where} accepts the credential"

    return steps, base


def _prometheus_steps(
    fetch: Fetch, secret: Mapping[str, Any], credential_type: str, metrics: list[str]
) -> _Steps:
    headers = auth_headers(credential_type, secret)

    async def steps(session: aiohttp.ClientSession, report: _Report) -> str:
        path = "/api/v1/status/buildinfo"
        reply = await report.first(fetch(session, path, None, headers))
        body = report.expect(reply, path, "Prometheus")
        data = body.get("data")
        if body.get("status") != "success" or not isinstance(data, dict):
            raise ProbeFailure("unexpected_response", f"{report.where} is not a Prometheus API")
        version = data.get("version")
        report.server_version = version if isinstance(version, str) else None
        summary = f"Prometheus {report.server_version or ''} at {report.where} is reachable"
        if not metrics:
            return summary
        path = "/api/v1/label/__name__/values"
        selector = '{__name__=~"' + "|".join(metrics) + '"}'
        reply = await fetch(session, path, {"match[]": selector}, headers)
        names = report.expect(reply, path, "Prometheus").get("data")
        present = (
            {name for name in names if isinstance(name, str)} if isinstance(names, list) else set()
        )
        found = [m for m in metrics if m in present]
        missing = [m for m in metrics if m not in present]
        report.details["found_metrics"] = found
        report.details["missing_metrics"] = missing
        if missing:
            return f"{summary}; {len(missing)} of {len(metrics)} metrics not found: " + ", ".join(
                missing
            )
        return f"{summary}; all {len(metrics)} metrics found"

    return steps


def _grafana_steps(fetch: Fetch, secret: Mapping[str, Any], credential_type: str) -> _Steps:
    headers = auth_headers(credential_type, secret)

    async def steps(session: aiohttp.ClientSession, report: _Report) -> str:
        reply = await report.first(fetch(session, "/api/health", None, {}))
        health = report.expect(reply, "/api/health", "Grafana")
        version = health.get("version")
        report.server_version = version if isinstance(version, str) else None
        if health.get("database", "ok") != "ok":
            raise ProbeFailure("unhealthy", f"Grafana at {report.where} reports its database down")
        reply = await fetch(session, "/api/org", None, headers)
        org = report.expect(reply, "/api/org", "Grafana")
        if isinstance(org.get("name"), str):
            report.details["organization"] = org["name"]
        return f"Grafana {report.server_version or ''} at {report.where} accepts the credential"

    return steps


def _where(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


async def check_connectivity(
    kind: str,
    *,
    url: str | None = None,
    credential_type: str = "none",
    credential: Mapping[str, Any] | None = None,
    registration: Mapping[str, Any] | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT,
    via: ClusterProxy | None = None,
) -> ConnectivityResult:
    """Test a connection within ``timeout_seconds`` (one deadline for all its requests).

    ``url`` is the service's base URL; for Kubernetes it may be omitted when the
    credential names the server. A Prometheus or Grafana is reached ``via`` its
    cluster's service proxy when one is given, at ``url`` otherwise. Raises
    :class:`BadInput` only for malformed input.
    """
    definition = get_definition(kind)
    secret = validate_secret(definition.kind, credential_type, credential)
    options = validate_registration(definition.kind, registration)
    if not timeout_seconds > 0:
        raise BadInput("the connectivity timeout must be positive", field="timeout_seconds")
    base = normalize_url(url, default_protocol=definition.default_protocol) if url else ""
    if definition.kind == "kubernetes":
        steps, base = await _kubernetes_steps(base, secret, credential_type)
    elif not base:
        raise BadInput(f"a {definition.kind} connection needs a URL", field="url")
    else:
        fetch = direct(base) if via is None else through_proxy(via)
        if definition.kind == "prometheus":
            metrics = options.get("metrics", [])
            steps = _prometheus_steps(fetch, secret, credential_type, metrics)
        else:
            steps = _grafana_steps(fetch, secret, credential_type)
    report = _Report(where=_where(base), details={"url": base})
    if via is not None and definition.kind != "kubernetes":
        report.where = via.where
        report.details["reach"] = Reach.CLUSTER_PROXY.value
    return await _run(definition.kind, steps, report, timeout_seconds)


async def _run(
    kind: str, steps: _Steps, report: _Report, timeout_seconds: float
) -> ConnectivityResult:
    client_timeout = aiohttp.ClientTimeout(total=timeout_seconds + 1)
    message = ""
    try:
        async with asyncio.timeout(timeout_seconds):
            async with aiohttp.ClientSession(timeout=client_timeout, trust_env=False) as session:
                message = await steps(session, report)
        ok = True
    except ProbeFailure as failure:
        ok, message = False, failure.message
        report.details["reason"] = failure.reason
    except TimeoutError:
        ok, message = False, f"no answer from {report.where} within {timeout_seconds:g} s"
        report.details["reason"] = "timeout"
    except Exception as exc:  # a probe must report, never raise, on a server's odd answers
        ok, message = False, f"the connectivity test of {report.where} failed unexpectedly"
        report.details["reason"] = "internal"
        log.error("connectivity test of %s %s raised %s", kind, report.where, type(exc).__name__)
    message = " ".join(message.split())
    log.info("connectivity test of %s %s: %s", kind, report.where, message)
    return ConnectivityResult(
        kind=kind,
        ok=ok,
        status=ConnectionStatus.CONNECTED if ok else ConnectionStatus.REGISTERED,
        message=message,
        latency_ms=report.latency_ms,
        server_version=report.server_version,
        details=dict(report.details),
    )
