"""Building cluster clients from a kubeconfig file or from a pod's service account.

Token, client-certificate and exec-plugin authentication all come from
kubernetes_asyncio's loader, including refreshing expiring exec tokens.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes_asyncio.client import Configuration
from kubernetes_asyncio.config import (
    ConfigException,
    list_kube_config_contexts,
    load_incluster_config,
    load_kube_config,
)

from graphql_server.errors import ConfigurationError
from graphql_server.kube.client import KubeClient

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class ContextInfo:
    name: str
    cluster: str
    user: str
    namespace: str | None
    current: bool


def kubeconfig_contexts(path: Path) -> list[ContextInfo]:
    """Every context of a kubeconfig file."""
    try:
        contexts, current = list_kube_config_contexts(str(path))
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot read kubeconfig {path}: {exc}") from exc
    current_name = (current or {}).get("name")
    found = []
    for entry in contexts or []:
        context: dict[str, Any] = entry.get("context") or {}
        found.append(
            ContextInfo(
                name=entry["name"],
                cluster=str(context.get("cluster", "")),
                user=str(context.get("user", "")),
                namespace=context.get("namespace"),
                current=entry["name"] == current_name,
            )
        )
    return found


async def client_from_kubeconfig(path: Path, context: str | None = None) -> KubeClient:
    configuration = Configuration()
    try:
        await load_kube_config(
            config_file=str(path),
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(
            f"cannot load context {context or '(current)'} from {path}: {exc}"
        ) from exc
    return KubeClient(configuration)


def running_in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and SERVICE_ACCOUNT_DIR.is_dir()


def client_in_cluster() -> KubeClient:
    configuration = Configuration()
    try:
        load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except ConfigException as exc:
        raise ConfigurationError(f"in-cluster configuration unavailable: {exc}") from exc
    return KubeClient(configuration)
