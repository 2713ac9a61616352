"""Reading kubeconfig documents, and the safety policy for inline (pasted) ones.

Owns the project's one kubeconfig parser (YAML or JSON text to a mapping, the
contexts it names, the cluster and user a context picks, each context's server)
and the one policy for a kubeconfig a user pasted: unlike a file the operator
passed on the command line, it may not reach this server's disk or run programs,
so any user with a credential plugin (``exec``, ``auth-provider``) or a file
reference (``token-file``, ``client-certificate``, ``client-key``) and any
cluster with a file reference (``certificate-authority``) is refused with
:class:`BadInput`, wherever it is in the document. Errors never quote credential
values. Pure: no network I/O, and only :func:`kubeconfig_servers` reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from graphql_server.errors import BadInput

USER_PLUGINS: tuple[str, ...] = ("exec", "auth-provider")
USER_FILES: tuple[str, ...] = ("token-file", "client-certificate", "client-key")
CLUSTER_FILES: tuple[str, ...] = ("certificate-authority",)


@dataclass(frozen=True, slots=True)
class KubeconfigContext:
    """One context of a kubeconfig with the cluster and user it names."""

    name: str
    cluster: Mapping[str, Any]
    user: Mapping[str, Any]


def parse_kubeconfig(text: str) -> Mapping[str, Any]:
    """The document of a kubeconfig's text; :class:`BadInput` unless it is a mapping."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BadInput("kubeconfig is not valid YAML or JSON", field="kubeconfig") from None
    if not isinstance(config, Mapping):
        raise BadInput("kubeconfig is not a mapping", field="kubeconfig")
    return config


def parse_inline_kubeconfig(text: str) -> Mapping[str, Any]:
    """A pasted kubeconfig's document, once it passes :func:`check_inline`."""
    config = parse_kubeconfig(text)
    check_inline(config)
    return config


def check_inline(config: Mapping[str, Any]) -> None:
    """Refuse plugins and file references anywhere in a pasted kubeconfig."""
    for name, user in _bodies(config, "users"):
        for key in USER_PLUGINS:
            if user.get(key):
                raise BadInput(
                    f"kubeconfig user {name!r} relies on an {key!r} plugin, which this server "
                    "cannot run; use a bearer token or an inline client certificate",
                    field="kubeconfig",
                )
        for key in USER_FILES:
            if user.get(key):
                raise BadInput(
                    f"kubeconfig user {name!r} uses {key!r} (a file path); inline it instead",
                    field="kubeconfig",
                )
    for name, cluster in _bodies(config, "clusters"):
        for key in CLUSTER_FILES:
            if cluster.get(key):
                raise BadInput(
                    f"kubeconfig cluster {name!r} uses {key!r} (a file path); "
                    f"inline it as '{key}-data'",
                    field="kubeconfig",
                )


def resolve_context(config: Mapping[str, Any], name: str | None) -> KubeconfigContext:
    """The context ``name`` (default: the current one) with its cluster and user."""
    chosen = name or config.get("current-context")
    if not chosen:
        raise BadInput("kubeconfig has no current-context; name a context", field="context")
    context = _named(config, "contexts", str(chosen))
    cluster = _named(config, "clusters", str(context.get("cluster", "")))
    user_name = context.get("user")
    user = _named(config, "users", str(user_name)) if user_name else {}
    return KubeconfigContext(str(chosen), cluster, user)


def context_names(config: Mapping[str, Any]) -> list[str]:
    """The names of a kubeconfig's contexts, the current one first."""
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


def context_servers(config: Mapping[str, Any]) -> dict[str, str]:
    """Context name -> server URL ("" when its cluster names none)."""
    servers = {
        name: str(body.get("server", "") or "") for name, body in _bodies(config, "clusters")
    }
    return {
        name: servers.get(str(context.get("cluster")), "")
        for name, context in _bodies(config, "contexts")
        if name
    }


def kubeconfig_servers(path: Path) -> dict[str, str]:
    """Context name -> server URL of a kubeconfig file (blocking; best effort)."""
    try:
        config = parse_kubeconfig(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, BadInput):
        return {}
    return context_servers(config)


def _bodies(config: Mapping[str, Any], section: str) -> list[tuple[str, Mapping[str, Any]]]:
    """``(name, body)`` of each well-formed entry of ``section`` (``users`` -> ``user``)."""
    entries = config.get(section)
    found: list[tuple[str, Mapping[str, Any]]] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            body = entry.get(section[:-1])
            name = entry.get("name")
            found.append(
                ("" if name is None else str(name), body if isinstance(body, Mapping) else {})
            )
    return found


def _named(config: Mapping[str, Any], section: str, name: str) -> Mapping[str, Any]:
    entries = config.get(section)
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            body = entry.get(section[:-1])
            if isinstance(body, Mapping):
                return body
    raise BadInput(f"kubeconfig has no {section[:-1]} named {name!r}", field="kubeconfig")
