"""Probable causes and suggested fixes of failed connectivity tests.

Maps the stable reasons of :class:`~graphql_server.connectivity.transport.ProbeFailure`
(and the URL that failed) to text an operator can act on. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Diagnosis", "diagnose", "is_cluster_internal"]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    probable_cause: str
    suggested_fix: str


_KNOWN = {
    "unreachable": Diagnosis(
        "Nothing accepts connections at this host and port: the service is down, the port "
        "is wrong, or a firewall refuses the connection.",
        "Check that the service is running and listening on this port, and that this "
        "server may reach it (firewalls, security groups, network policies).",
    ),
    "dns": Diagnosis(
        "The host name could not be resolved by this server's DNS.",
        "Check the host name for typos, or use a name or IP address this server can resolve.",
    ),
    "timeout": Diagnosis(
        "The service did not answer in time: it is overloaded, or packets to it are "
        "silently dropped by a firewall.",
        "Check the service's load and that traffic from this server to it is allowed; "
        "retry the test.",
    ),
    "tls": Diagnosis(
        "The TLS handshake failed: the certificate is not trusted, has expired, or does "
        "not name this host, or the service does not speak TLS on this port.",
        "Give the CA certificate that signed the service's certificate, use the host name "
        "the certificate names, or use http:// when the service has no TLS.",
    ),
    "unauthenticated": Diagnosis(
        "The service rejected the credential (HTTP 401): it is missing, wrong or expired.",
        "Assign a valid credential to the connection (check the token, or the user name "
        "and password) and test again.",
    ),
    "forbidden": Diagnosis(
        "The credential was accepted but lacks permission (HTTP 403).",
        "Grant the credential's user or service account read access to what the test "
        "reads, or use a credential that has it.",
    ),
}

_CLUSTER_INTERNAL = Diagnosis(
    "The URL names a service inside a Kubernetes cluster (a cluster-internal DNS name), "
    "which is not reachable from outside the cluster.",
    "Use a URL reachable from this server: an ingress, a load balancer or node port, or "
    "a port-forward (kubectl port-forward) of the service.",
)
_INTERNAL_SUFFIXES = (".svc", ".cluster.local")
_NETWORK_REASONS = frozenset({"unreachable", "dns", "timeout"})


def is_cluster_internal(url: str) -> bool:
    """Whether ``url``'s host is a cluster-internal service name (``*.svc``,
    ``*.cluster.local``, ``*.svc.<domain>``)."""
    host = (urlsplit(url if "://" in url else f"//{url}").hostname or "").rstrip(".").lower()
    return host.endswith(_INTERNAL_SUFFIXES) or ".svc." in host


def diagnose(reason: str | None, url: str = "") -> Diagnosis | None:
    """The probable cause and suggested fix of a failure, or None when none is known."""
    if reason in _NETWORK_REASONS and url and is_cluster_internal(url):
        return _CLUSTER_INTERNAL
    return _KNOWN.get(reason or "")
