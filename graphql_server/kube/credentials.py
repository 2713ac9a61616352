"""Building cluster clients from stored credentials: inline kubeconfig text, or a token.

Owns turning a credential a user gave (pasted kubeconfig, or server URL plus bearer
token and CA data) into a :class:`KubeClient`. Unlike a kubeconfig file the operator
passed on the command line, a pasted kubeconfig is not trusted to reach this server's
disk or run programs: ``exec`` and ``auth-provider`` users and file references
(``certificate-authority``, ``client-certificate``, ``client-key``, ``token-file``) are
refused with :class:`BadInput`. Errors never quote credential values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from kubernetes_asyncio.client import Configuration
from kubernetes_asyncio.config import ConfigException
from kubernetes_asyncio.config.kube_config import load_kube_config_from_dict

from graphql_server.errors import BadInput, ConfigurationError
from graphql_server.kube.client import KubeClient

_USER_REFUSED = ("exec", "auth-provider", "token-file", "client-certificate", "client-key")
_CLUSTER_REFUSED = ("certificate-authority",)


def _entries(config: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    entries = config.get(section)
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, Mapping)]


def _check_inline(config: Mapping[str, Any]) -> None:
    for entry in _entries(config, "users"):
        user = entry.get("user")
        for key in _USER_REFUSED:
            if isinstance(user, Mapping) and user.get(key):
                raise BadInput(
                    f"kubeconfig user {entry.get('name')!r} uses {key!r}, which a stored "
                    "credential may not; inline the token or certificate",
                    field="kubeconfig",
                )
    for entry in _entries(config, "clusters"):
        cluster = entry.get("cluster")
        for key in _CLUSTER_REFUSED:
            if isinstance(cluster, Mapping) and cluster.get(key):
                raise BadInput(
                    f"kubeconfig cluster {entry.get('name')!r} uses {key!r} (a file path); "
                    "inline it as certificate-authority-data",
                    field="kubeconfig",
                )


async def _client(config: Mapping[str, Any], context: str | None) -> KubeClient:
    configuration = Configuration()
    try:
        await load_kube_config_from_dict(
            dict(config), context=context, client_configuration=configuration
        )
    except (ConfigException, ValueError, TypeError, KeyError, AttributeError):
        # The loader's messages can quote the document; name the context only.
        raise ConfigurationError(
            f"cannot use context {context or '(current)'} of the stored kubeconfig"
        ) from None
    return KubeClient(configuration)


async def client_from_kubeconfig_text(text: str, context: str | None = None) -> KubeClient:
    """A client for ``context`` (default: the current one) of an inline kubeconfig."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BadInput("kubeconfig is not valid YAML or JSON", field="kubeconfig") from None
    if not isinstance(config, Mapping):
        raise BadInput("kubeconfig is not a mapping", field="kubeconfig")
    _check_inline(config)
    return await _client(config, context)


async def client_from_token(
    server: str, token: str, ca_data: str | None = None, insecure: bool = False
) -> KubeClient:
    """A client for ``server`` authenticating with a bearer token.

    ``ca_data`` is base64-encoded PEM, as in a kubeconfig's certificate-authority-data.
    """
    cluster: dict[str, Any] = {"server": server}
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "target", "cluster": cluster}],
        "users": [{"name": "target", "user": {"token": token}}],
        "contexts": [{"name": "target", "context": {"cluster": "target", "user": "target"}}],
        "current-context": "target",
    }
    return await _client(config, "target")
