"""Turns a Kubernetes credential (inline kubeconfig or bearer token) into a probe target.

This module owns turning the context a pasted kubeconfig picks into a target: the
cluster's server URL and CA data, and the user's token or client certificate, decoded
and checked. Parsing the document and the inline-kubeconfig safety policy (plugins and
file paths refused) are ``kube.kubeconfig``'s, the same ones the sync connects with.
Failures raise :class:`BadInput` that never quote secret values. It does no network
I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graphql_server.errors import BadInput
from graphql_server.kube.kubeconfig import context_names as kubeconfig_context_names
from graphql_server.kube.kubeconfig import (
    parse_inline_kubeconfig,
    parse_kubeconfig,
    resolve_context,
)

__all__ = ["KubernetesTarget", "context_names", "target_from_credential"]


@dataclass(frozen=True, slots=True)
class KubernetesTarget:
    """Where and how to reach a Kubernetes API server; reprs hide the credential."""

    server: str
    context: str | None = None
    token: str | None = field(default=None, repr=False)
    ca_pem: str | None = field(default=None, repr=False)
    client_cert_pem: str | None = field(default=None, repr=False)
    client_key_pem: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None


def _pem(value: Any, key: str) -> str:
    try:
        text = base64.b64decode(str(value), validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadInput(f"kubeconfig field {key!r} is not base64-encoded PEM", field=key) from None
    if "-----BEGIN" not in text:
        raise BadInput(f"kubeconfig field {key!r} is not base64-encoded PEM", field=key)
    return text


def _from_kubeconfig(text: str, context_name: str | None) -> KubernetesTarget:
    context = resolve_context(parse_inline_kubeconfig(text), context_name)
    cluster, user = context.cluster, context.user
    server = cluster.get("server")
    if not isinstance(server, str) or not server.strip():
        raise BadInput("kubeconfig cluster has no server URL", field="kubeconfig")
    cert = user.get("client-certificate-data")
    client_key = user.get("client-key-data")
    if bool(cert) != bool(client_key):
        raise BadInput(
            "kubeconfig user needs both client-certificate-data and client-key-data",
            field="kubeconfig",
        )
    token = user.get("token")
    ca = cluster.get("certificate-authority-data")
    server_name = cluster.get("tls-server-name")
    return KubernetesTarget(
        server=server.strip(),
        context=context.name,
        token=str(token).strip() if token else None,
        ca_pem=_pem(ca, "certificate-authority-data") if ca else None,
        client_cert_pem=_pem(cert, "client-certificate-data") if cert else None,
        client_key_pem=_pem(client_key, "client-key-data") if client_key else None,
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=str(server_name) if server_name else None,
    )


def target_from_credential(
    credential_type: str, credential: Mapping[str, Any], url: str | None = None
) -> KubernetesTarget:
    """Build a target from a validated ``kubeconfig`` or ``token`` credential.

    ``url``, when given, overrides the server named by the credential.
    """
    if credential_type == "kubeconfig":
        target = _from_kubeconfig(str(credential["kubeconfig"]), credential.get("context"))
        return replace(target, server=url) if url else target
    if credential_type == "token":
        server = url or credential.get("server")
        if not server:
            raise BadInput("a Kubernetes token credential needs a server URL", field="server")
        ca = credential.get("certificateAuthorityData")
        return KubernetesTarget(
            server=str(server),
            token=str(credential["token"]),
            ca_pem=_pem(ca, "certificateAuthorityData") if ca else None,
            insecure_skip_tls_verify=bool(credential.get("insecureSkipTlsVerify", False)),
        )
    raise BadInput(
        f"unknown Kubernetes credential type {credential_type!r}", field="credentialType"
    )


def context_names(text: str) -> list[str]:
    """The names of an inline kubeconfig's contexts, the current one first."""
    return kubeconfig_context_names(parse_kubeconfig(text))
