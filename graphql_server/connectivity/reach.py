"""How a service is reached: at its own URL, or through its cluster's apiserver proxy.

Owns :class:`Reach`, :class:`ClusterProxy` (a service of a cluster and an
authenticated client of that cluster's API server) and the request functions the
probes use either way: :func:`direct` GETs ``base + path``, :func:`through_proxy` GETs
``/api/v1/namespaces/{ns}/services/{scheme}:{name}:{port}/proxy{path}`` on the API
server with the cluster's credential, passing the service's own headers on. An
answer that is the API server's (a ``Status`` object) rather than the service's
becomes a :class:`ProbeFailure` naming the API server's reason. Messages never carry
credentials.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import orjson

from graphql_server.connectivity.transport import ProbeFailure, Reply, fetch_json
from graphql_server.errors import KubernetesError
from graphql_server.kube.client import KubeClient

__all__ = ["ClusterProxy", "Fetch", "Reach", "direct", "through_proxy"]


class Reach(enum.Enum):
    """How requests to a Prometheus or Grafana travel."""

    DIRECT = "DIRECT"
    """To the connection's URL."""
    CLUSTER_PROXY = "CLUSTER_PROXY"
    """Through the service proxy of the API server of the cluster it was found in."""


Fetch = Callable[
    [aiohttp.ClientSession, str, Mapping[str, str] | None, Mapping[str, str]], Awaitable[Reply]
]
"""GET a path (with query parameters and headers) of the service being probed."""


@dataclass(frozen=True, slots=True)
class ClusterProxy:
    """A cluster's service, reached through that cluster's API server."""

    client: KubeClient
    cluster: str
    namespace: str
    service: str
    port: int | str
    scheme: str = "http"

    @property
    def prefix(self) -> str:
        return (
            f"/api/v1/namespaces/{self.namespace}/services/"
            f"{self.scheme}:{self.service}:{self.port}/proxy"
        )

    @property
    def where(self) -> str:
        server = urlsplit(self.client.server).netloc or self.client.server
        return f"{self.namespace}/{self.service} through the API server {server}"


def direct(base: str) -> Fetch:
    async def fetch(
        session: aiohttp.ClientSession,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> Reply:
        return await fetch_json(session, f"{base}{path}", params=params, headers=headers)

    return fetch


def _apiserver_status(body: object) -> str | None:
    """The message of a Kubernetes ``Status`` failure, which only the API server sends."""
    if isinstance(body, dict) and body.get("kind") == "Status" and body.get("status") == "Failure":
        return " ".join(str(body.get("message") or body.get("reason") or "").split())[:300]
    return None


def through_proxy(proxy: ClusterProxy) -> Fetch:
    async def fetch(
        session: aiohttp.ClientSession,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> Reply:
        if "Authorization" in headers and proxy.client.sends_authorization:
            raise ProbeFailure(
                "proxy_credentials",
                f"the API server of cluster {proxy.cluster} takes the Authorization header "
                "for the cluster's own token, so the service's credential cannot go through "
                "its service proxy; reach the service DIRECT, or connect the cluster with a "
                "client certificate",
            )
        try:
            status, raw = await proxy.client.get_raw(
                proxy.prefix + path, list((params or {}).items()), headers
            )
        except KubernetesError as exc:
            raise ProbeFailure(
                "unreachable", f"the API server of cluster {proxy.cluster}: {exc.message}"
            ) from None
        try:
            reply = Reply(status=status, body=orjson.loads(raw), is_json=True)
        except orjson.JSONDecodeError:
            reply = Reply(status=status, body=None, is_json=False)
        message = _apiserver_status(reply.body) if status >= 400 else None
        if message is not None:
            reason = "unauthenticated" if status in (401, 403) else "proxy"
            raise ProbeFailure(
                reason,
                f"the API server of cluster {proxy.cluster} answered {path} with HTTP "
                f"{status}: {message}",
            )
        return reply

    return fetch
