"""Connectivity probing: testing a target with a stored or an unsaved secret.

Owns how a connection is tested: a kubeconfig file the operator gave this server is
probed with the full kubeconfig loader (the one the sync uses), anything else goes to
the connectivity checks of its kind. A Prometheus or Grafana whose reach is
``CLUSTER_PROXY`` is tested through the service proxy of the cluster it was found in,
with the credentials of that cluster's CONNECTED Kubernetes connection. Reads the
store only to open stored credentials and find that connection; writes nothing,
records nothing and publishes nothing. A secret never
leaves here in a result, a message or a log line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphql_server.connectivity import (
    DEFAULT_TIMEOUT,
    ClusterProxy,
    ConnectivityResult,
    Reach,
    check_connectivity,
    get_definition,
)
from graphql_server.connectivity.diagnosis import diagnose
from graphql_server.errors import BadInput, ConfigurationError, KubernetesError
from graphql_server.kube.client import KubeClient
from graphql_server.kube.config import client_from_kubeconfig
from graphql_server.kube.credentials import client_for_connection
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.store import Store
from graphql_server.store.connections import ConnectionQuery, ConnectionRecord

Secret = tuple[str, dict[str, Any]]
"""A credential type and its opened fields."""


def test_summary(result: ConnectivityResult) -> dict[str, Any]:
    """A connectivity result as kept in a connection's metadata (``lastTest``)."""
    return {
        "ok": result.ok,
        "status": result.status.value,
        "message": result.message,
        "latencyMs": result.latency_ms,
        "serverVersion": result.server_version,
        "details": dict(result.details),
        "testedAt": datetime.now(UTC).isoformat(),
    }


def test_log(result: ConnectivityResult) -> dict[str, Any]:
    """How the event log records a test: its severity, and the probable cause and
    suggested fix of a failure where they are known."""
    if result.ok:
        return {"severity": "success"}
    known = diagnose(str(result.details.get("reason") or ""), str(result.details.get("url") or ""))
    if known is None:
        return {"severity": "warning"}
    return {
        "severity": "warning",
        "probable_cause": known.probable_cause,
        "suggested_fix": known.suggested_fix,
    }


async def probe_kubeconfig_file(path: str, context: str | None) -> ConnectivityResult:
    """Test a context of a kubeconfig file the operator gave this server (``--kubeconfig``).

    Uses the full kubeconfig loader (exec plugins and file references included), as the
    sync itself will, unlike the probes for pasted kubeconfigs.
    """
    where = f"context {context or '(current)'} of {Path(path).name}"
    details: dict[str, Any] = {"context": context} if context else {}
    try:
        async with asyncio.timeout(DEFAULT_TIMEOUT):
            client = await client_from_kubeconfig(Path(path), context)
            try:
                started = time.perf_counter()
                version = await client.get("/version")
                latency = round((time.perf_counter() - started) * 1000, 3)
                listed = await client.get("/api/v1/namespaces", [("limit", "1")])
            finally:
                await client.close()
    except (ConfigurationError, KubernetesError) as exc:
        details["reason"] = "unreachable" if isinstance(exc, KubernetesError) else "configuration"
        message = f"{where} is not usable: {exc.message}"
        return ConnectivityResult("kubernetes", False, ConnectionStatus.REGISTERED, message)
    except TimeoutError:
        details["reason"] = "timeout"
        message = f"no answer from {where} within {DEFAULT_TIMEOUT:g} s"
        return ConnectivityResult("kubernetes", False, ConnectionStatus.REGISTERED, message)
    server_version = str(version.get("gitVersion", "")) if isinstance(version, dict) else ""
    if not isinstance(listed, dict) or listed.get("kind") != "NamespaceList":
        return ConnectivityResult(
            "kubernetes", False, ConnectionStatus.REGISTERED, f"{where} cannot list namespaces"
        )
    return ConnectivityResult(
        "kubernetes",
        True,
        ConnectionStatus.CONNECTED,
        f"Kubernetes {server_version} at {where} accepts the credential",
        latency_ms=latency,
        server_version=server_version or None,
        details=details,
    )


async def stored_secret(store: Store, record: ConnectionRecord) -> Secret | None:
    """The credential a stored connection uses (opened), with its context applied."""
    context = record.metadata.get("context")
    if record.credential_id:
        credential, data = await store.credentials.secret(record.credential_id)
        if credential.type == "kubeconfig" and context and not data.get("context"):
            data["context"] = context
        return credential.type, data
    return None


async def probe(
    kind: str,
    *,
    url: str | None,
    secret: Secret | None,
    registration: Mapping[str, Any] | None,
    kubeconfig_path: str | None = None,
    context: str | None = None,
) -> ConnectivityResult:
    """Test a target of ``kind``; without a secret, the kind must accept none."""
    definition = get_definition(kind)
    if secret is None and kubeconfig_path and definition.kind == "kubernetes":
        return await probe_kubeconfig_file(kubeconfig_path, context)
    if secret is None:
        if "none" not in definition.credentials:
            raise BadInput(
                f"a {definition.kind} connection needs a credential "
                f"({', '.join(definition.credentials)})",
                field="credential",
            )
        secret = ("none", {})
    credential_type, data = secret
    if definition.kind == "kubernetes" and credential_type == "kubeconfig":
        url = None  # the kubeconfig's context names the server
    return await check_connectivity(
        definition.kind,
        url=url or None,
        credential_type=credential_type,
        credential=data,
        registration=registration,
    )


def reach_of(record: ConnectionRecord) -> Reach:
    """How a connection is reached: as stored, else through the cluster proxy for a
    service discovered in a cluster, else directly."""
    if record.kind == "kubernetes":
        return Reach.DIRECT
    stored = record.metadata.get("reach")
    if isinstance(stored, str) and stored in Reach.__members__:
        return Reach[stored]
    if record.metadata.get("discoveredBy") == "fingerprint":
        return Reach.CLUSTER_PROXY
    return Reach.DIRECT


def check_reach(record: ConnectionRecord | None, kind: str, reach: Reach) -> None:
    """Refuse a reach the connection cannot have (BadInput)."""
    if reach is Reach.DIRECT:
        return
    if kind == "kubernetes":
        raise BadInput("a Kubernetes connection is reached directly", field="reach")
    metadata = record.metadata if record is not None else {}
    if record is None or not (
        metadata.get("clusterId") and metadata.get("namespace") and metadata.get("service")
    ):
        raise BadInput(
            "only a service discovered in a cluster can be reached through the cluster proxy",
            field="reach",
        )


async def cluster_client(store: Store, cluster_id: str) -> KubeClient | None:
    """A client of the cluster's API server, from its CONNECTED Kubernetes connection."""
    query = ConnectionQuery(
        kinds=("kubernetes",), statuses=(ConnectionStatus.CONNECTED,), cluster_ids=(cluster_id,)
    )
    for record in await store.connections.select(query, limit=10):
        metadata = record.metadata
        credential_type, secret = await stored_secret(store, record) or (None, {})
        path = metadata.get("kubeconfigPath")
        context = metadata.get("context")
        try:
            return await client_for_connection(
                credential_type,
                secret,
                server=record.url or None,
                kubeconfig=Path(path) if path and credential_type is None else None,
                context=str(context) if context else None,
                in_cluster=bool(metadata.get("inCluster")),
            )
        except ConfigurationError:
            continue
    return None


def no_cluster_message(cluster_id: str) -> str:
    return (
        f"no CONNECTED Kubernetes connection reaches cluster {cluster_id or '(unknown)'}, "
        "whose service proxy this connection goes through: connect the cluster, or "
        "reach the service DIRECT"
    )


@asynccontextmanager
async def cluster_proxy(
    store: Store, record: ConnectionRecord
) -> AsyncIterator[ClusterProxy | None]:
    """The service proxy a discovered service is reached through, with an open client
    of its cluster's API server (closed after the block); None without a CONNECTED
    Kubernetes connection to that cluster."""
    metadata = record.metadata
    cluster_id = str(metadata.get("clusterId") or record.cluster_id or "")
    client = await cluster_client(store, cluster_id) if cluster_id else None
    if client is None:
        yield None
        return
    try:
        yield ClusterProxy(
            client,
            cluster_id,
            str(metadata.get("namespace")),
            str(metadata.get("service")),
            metadata.get("port") or "http",
        )
    finally:
        await client.close()


async def _probe_through_cluster(
    store: Store,
    record: ConnectionRecord,
    url: str | None,
    secret: Secret | None,
    registration: Mapping[str, Any],
) -> ConnectivityResult:
    async with cluster_proxy(store, record) as proxy:
        if proxy is None:
            cluster_id = str(record.metadata.get("clusterId") or record.cluster_id or "")
            details = {"reason": "no_cluster_connection", "reach": Reach.CLUSTER_PROXY.value}
            return ConnectivityResult(
                record.kind,
                False,
                ConnectionStatus.REGISTERED,
                no_cluster_message(cluster_id),
                details=details,
            )
        credential_type, data = secret or ("none", {})
        return await check_connectivity(
            record.kind,
            url=url or record.url or None,
            credential_type=credential_type,
            credential=data,
            registration=registration,
            via=proxy,
        )


async def probe_stored(
    store: Store,
    record: ConnectionRecord,
    *,
    url: str | None = None,
    secret: Secret | None = None,
    registration: Mapping[str, Any] | None = None,
    reach: Reach | None = None,
) -> ConnectivityResult:
    """Test a stored connection, with what it stores unless told otherwise."""
    if secret is None:
        secret = await stored_secret(store, record)
    if registration is None:
        registration = record.metadata.get("registration") or {}
    if (reach or reach_of(record)) is Reach.CLUSTER_PROXY:
        check_reach(record, record.kind, Reach.CLUSTER_PROXY)
        if secret is None and "none" not in get_definition(record.kind).credentials:
            raise BadInput(
                f"a {record.kind} connection needs a credential "
                f"({', '.join(get_definition(record.kind).credentials)})",
                field="credential",
            )
        return await _probe_through_cluster(store, record, url, secret, registration)
    return await probe(
        record.kind,
        url=url or record.url,
        secret=secret,
        registration=registration,
        kubeconfig_path=record.metadata.get("kubeconfigPath"),
        context=record.metadata.get("context"),
    )
