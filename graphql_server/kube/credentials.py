"""Building cluster clients from stored credentials: inline kubeconfig text, or a token.

Owns turning a credential a user gave (pasted kubeconfig, or server URL plus bearer
token and CA data), or a stored connection's kubeconfig file or in-cluster account,
into a :class:`KubeClient`. A pasted kubeconfig is
parsed and checked by ``kube.kubeconfig`` (plugins and file paths refused with
:class:`BadInput`) before the client library sees it. Errors never quote credential
values.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kubernetes_asyncio.client import Configuration
from kubernetes_asyncio.config import ConfigException
from kubernetes_asyncio.config.kube_config import load_kube_config_from_dict

from graphql_server.errors import ConfigurationError
from graphql_server.kube.client import KubeClient
from graphql_server.kube.config import client_from_kubeconfig, client_in_cluster
from graphql_server.kube.kubeconfig import parse_inline_kubeconfig


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
    return await _client(parse_inline_kubeconfig(text), context)


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


async def client_for_connection(
    credential_type: str | None,
    secret: Mapping[str, Any],
    *,
    server: str | None = None,
    kubeconfig: Path | None = None,
    context: str | None = None,
    in_cluster: bool = False,
) -> KubeClient:
    """A client for a stored Kubernetes connection: its pasted kubeconfig or token
    credential, else the kubeconfig file the operator gave, else the pod's account."""
    if credential_type == "kubeconfig":
        chosen = context or secret.get("context")
        return await client_from_kubeconfig_text(str(secret["kubeconfig"]), chosen)
    if credential_type == "token":
        named = secret.get("server") or server
        if not named:
            raise ConfigurationError("the token credential names no server")
        return await client_from_token(
            str(named),
            str(secret["token"]),
            secret.get("certificateAuthorityData"),
            bool(secret.get("insecureSkipTlsVerify", False)),
        )
    if kubeconfig is not None:
        return await client_from_kubeconfig(kubeconfig, context)
    if in_cluster:
        return client_in_cluster()
    raise ConfigurationError("the connection has no credential to connect with")
