"""Turns a Kubernetes credential (inline kubeconfig or bearer token) into a probe target.

This module owns reading an inline kubeconfig: choosing the context, the cluster's
server URL and CA data, and the user's token or client certificate. Paths to files on
this server's disk (``certificate-authority``, ``token-file`` ...) and credential
plugins (``exec``, ``auth-provider``) are refused: a pasted kubeconfig must carry its
material inline. Failures raise :class:`BadInput` that never quote secret values. It
does no network I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from graphql_server.errors import BadInput

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


def _named(entries: Any, name: str, section: str) -> Mapping[str, Any]:
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, Mapping) and entry.get("name") == name:
                body = entry.get(section[:-1])
                if isinstance(body, Mapping):
                    return body
    raise BadInput(f"kubeconfig has no {section[:-1]} named {name!r}", field="kubeconfig")


def _pem(value: Any, key: str) -> str:
    try:
        text = base64.b64decode(str(value), validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadInput(f"kubeconfig field {key!r} is not base64-encoded PEM", field=key) from None
    if "-----BEGIN" not in text:
        raise BadInput(f"kubeconfig field {key!r} is not base64-encoded PEM", field=key)
    return text


def _from_kubeconfig(text: str, context_name: str | None) -> KubernetesTarget:
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BadInput("kubeconfig is not valid YAML or JSON", field="kubeconfig") from None
    if not isinstance(config, Mapping):
        raise BadInput("kubeconfig is not a mapping", field="kubeconfig")
    name = context_name or config.get("current-context")
    if not name:
        raise BadInput("kubeconfig has no current-context; name a context", field="context")
    context = _named(config.get("contexts"), str(name), "contexts")
    cluster = _named(config.get("clusters"), str(context.get("cluster", "")), "clusters")
    user_name = context.get("user")
    user: Mapping[str, Any] = (
        _named(config.get("users"), str(user_name), "users") if user_name else {}
    )
    if cluster.get("certificate-authority"):
        raise BadInput(
            "kubeconfig cluster uses 'certificate-authority' (a file path); "
            "inline it as 'certificate-authority-data'",
            field="kubeconfig",
        )
    for key in ("exec", "auth-provider"):
        if user.get(key):
            raise BadInput(
                f"kubeconfig user relies on an {key!r} plugin, which this server cannot run; "
                "use a bearer token or an inline client certificate",
                field="kubeconfig",
            )
    for key in ("token-file", "client-certificate", "client-key"):
        if user.get(key):
            raise BadInput(
                f"kubeconfig user uses {key!r} (a file path); inline it instead",
                field="kubeconfig",
            )
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
        context=str(name),
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
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BadInput("kubeconfig is not valid YAML or JSON", field="kubeconfig") from None
    if not isinstance(config, Mapping):
        raise BadInput("kubeconfig is not a mapping", field="kubeconfig")
    entries = config.get("contexts")
    names = [
        str(entry["name"])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, Mapping) and entry.get("name")
    ]
    current = config.get("current-context")
    if current in names:
        names.remove(current)
        names.insert(0, str(current))
    return names
