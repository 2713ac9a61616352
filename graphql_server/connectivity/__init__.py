"""Connection definitions and connectivity tests for Kubernetes, Prometheus and Grafana.

This package owns what each kind of connection accepts (credential and registration
schemas, validation, redaction) and how to test that a connection is reachable and
usable, at its URL or through its cluster's service proxy (``reach``). Kubeconfig
documents are read, and pasted ones vetted, by ``kube.kubeconfig`` (the one parser and
policy). It must not touch the store, the API or the sync machinery.
"""

from graphql_server.connectivity.definitions import (
    DEFINITIONS,
    ConnectionDefinition,
    CredentialDefinition,
    get_definition,
    redact_secret,
    validate_registration,
    validate_secret,
)
from graphql_server.connectivity.probes import (
    DEFAULT_TIMEOUT,
    ConnectivityResult,
    check_connectivity,
)
from graphql_server.connectivity.reach import ClusterProxy, Reach

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFINITIONS",
    "ClusterProxy",
    "ConnectionDefinition",
    "ConnectivityResult",
    "CredentialDefinition",
    "Reach",
    "check_connectivity",
    "get_definition",
    "redact_secret",
    "validate_registration",
    "validate_secret",
]
