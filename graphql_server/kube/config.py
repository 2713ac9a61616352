"""Building cluster clients from a kubeconfig file or from a pod's service account.

Token, client-certificate and exec-plugin authentication all come from
kubernetes_asyncio's loader, including refreshing expiring exec tokens.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
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


def check_kubeconfig(path: Path) -> None:
    """Refuse, in one line saying what to do, a kubeconfig that is missing or not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"the kubeconfig {path} does not exist; pass an existing file with --kubeconfig"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigurationError(f"cannot read the kubeconfig {path}: {reason}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigurationError(
            f"the kubeconfig {path} is not valid YAML ({problem}{where}); fix it or pass "
            "another --kubeconfig"
        ) from None
    if not isinstance(document, dict) or not document.get("contexts"):
        raise ConfigurationError(
            f"the kubeconfig {path} has no contexts; pass a kubeconfig file with --kubeconfig"
        )


def check_context(path: Path, names: list[str], wanted: str | None) -> None:
    """Refuse a context the file does not have, naming those it has."""
    if wanted is not None and wanted not in names:
        raise ConfigurationError(
            f"the kubeconfig {path} has no context {wanted!r} (it has: {', '.join(names)}); "
            "pass one of these with --context"
        )


def kubeconfig_contexts(path: Path) -> list[ContextInfo]:
    """Every context of a kubeconfig file."""
    check_kubeconfig(path)
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
    check_context(path, [c.name for c in kubeconfig_contexts(path)], context)
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
