"""Where a Kubernetes connection's sync connects: its source, built from the stored
connection and its opened credential, and the names of command-line contexts.

Owns :class:`ConnectionSource` (a :class:`ClusterSource` whose client comes from a
pasted kubeconfig, a server URL and bearer token, a kubeconfig file the operator gave,
or the pod's service account), and the identities that let a command-line context be
found again as the same connection. The secret stays out of reprs; nothing is logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql_server.kube.client import KubeClient
from graphql_server.kube.credentials import client_for_connection
from graphql_server.kube.kubeconfig import kubeconfig_servers as kubeconfig_servers
from graphql_server.sync.connecting import ClusterSource

IN_CLUSTER = "in-cluster"


def absolute(path: Path) -> str:
    return os.path.abspath(path)  # a getcwd() at most: no file is read


def kubeconfig_identity(path: Path, context: str) -> str:
    return f"kubeconfig:{absolute(path)}#{context}"


@dataclass(frozen=True, slots=True)
class ConnectionSource(ClusterSource):
    """A stored Kubernetes connection as a cluster source, with its credential opened."""

    connection_id: str = ""
    credential_type: str | None = None
    secret: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    server: str | None = None
    in_cluster: bool = False

    async def client(self) -> KubeClient:
        return await client_for_connection(
            self.credential_type,
            self.secret,
            server=self.server,
            kubeconfig=self.kubeconfig,
            context=self.context,
            in_cluster=self.in_cluster,
        )
