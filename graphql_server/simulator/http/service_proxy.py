"""The apiserver's service proxy: ``/api/v1/namespaces/{ns}/services/{id}/proxy/{path}``.

Owns parsing the service id as the apiserver does (``name``, ``name:port`` or
``scheme:name:port``, the port a port name or number, the scheme ``http`` or
``https``), resolving it against the Service object (404 Status when the Service is
missing, 503 when no port matches or nothing answers behind it) and handing the
request, path and query unchanged, to the built-in endpoint behind the Service
(:mod:`monitoring`). As on a real apiserver, the ``Authorization`` header that
authenticated the caller is not passed on; without a cluster token the header is
the caller's own and goes through. The endpoint's answer (status, body, content
type) comes back as it is.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.monitoring import ProxiedRequest, endpoint_for
from graphql_server.simulator.status import ApiError, method_not_allowed

PROXY_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_HOP_HEADERS = frozenset({"connection", "host", "content-length", "transfer-encoding"})


def is_proxy_path(rest: list[str]) -> bool:
    """Whether a core/v1 path (after ``/api/v1/``) is a service proxy request."""
    return (
        len(rest) >= 5
        and rest[0] == "namespaces"
        and rest[2] == "services"
        and (rest[4] == "proxy")
    )


def unavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message, {})


def split_service_id(service_id: str) -> tuple[str, str, str]:
    """``[scheme:]name[:port]`` as ``(scheme, name, port)``; scheme and port may be empty."""
    parts = service_id.split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3 and parts[0] in ("", "http", "https"):
        return parts[0], parts[1], parts[2]
    raise ApiError(400, "BadRequest", f"invalid service request {service_id!r}", {})


def _require_port(service: dict[str, Any], wanted: str) -> None:
    """503 unless a port of the Service has that name or number (an empty name matches
    an unnamed port)."""
    name = service["metadata"]["name"]
    for port in (service.get("spec") or {}).get("ports") or []:
        if str(port.get("name") or "") == wanted or str(port.get("port")) == wanted:
            return
    raise unavailable(f'no service port "{wanted}" found for service "{name}"')


def _forwarded_headers(cluster: ClusterModel, request: web.Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
    if cluster.token:
        headers.pop("Authorization", None)  # it authenticated the caller to the apiserver
    return headers


async def serve_proxy(
    cluster: ClusterModel, request: web.Request, namespace: str, service_id: str
) -> web.StreamResponse:
    if request.method not in PROXY_METHODS:
        raise method_not_allowed(request.method)
    scheme, name, port_name = split_service_id(service_id)
    service = cluster.get(cluster.resolve("", "v1", "services"), namespace, name).obj
    _require_port(service, port_name)
    endpoint = endpoint_for(service)
    if endpoint is None or cluster.faults.service_down(namespace, name):
        raise unavailable(f'no endpoints available for service "{name}"')
    if scheme == "https":
        raise unavailable(
            f'error trying to reach service: the endpoint of "{name}" does not speak TLS'
        )
    prefix = f"/api/v1/namespaces/{namespace}/services/{service_id}/proxy"
    path = request.path.removeprefix(prefix)
    proxied = ProxiedRequest(
        method=request.method,
        path=path or "/",
        query=request.query,
        headers=_forwarded_headers(cluster, request),
        body=await request.read(),
        content_type=request.content_type,
    )
    return endpoint(proxied)
