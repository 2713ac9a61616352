"""Kubeconfig documents pointing at a simulated cluster.

Owns building a kubeconfig (cluster, user with the bearer token when one is set, and
context) and writing it as JSON, which every kubeconfig loader accepts since JSON is
YAML. Writing can merge into an existing JSON kubeconfig so several simulated clusters
share one file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson


def kubeconfig_dict(
    server: str, context_name: str, token: str | None = None, namespace: str = "default"
) -> dict[str, Any]:
    user: dict[str, Any] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": context_name, "cluster": {"server": server}}],
        "users": [{"name": context_name, "user": user}],
        "contexts": [
            {
                "name": context_name,
                "context": {"cluster": context_name, "user": context_name, "namespace": namespace},
            }
        ],
        "current-context": context_name,
    }


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for section in ("clusters", "users", "contexts"):
        names = {item["name"] for item in extra[section]}
        kept = [item for item in base.get(section) or [] if item.get("name") not in names]
        merged[section] = kept + extra[section]
    merged.setdefault("current-context", extra["current-context"])
    if not merged.get("current-context"):
        merged["current-context"] = extra["current-context"]
    return merged


def write_kubeconfig(
    path: str | os.PathLike[str], config: dict[str, Any], *, merge: bool = False
) -> Path:
    """Write ``config``; with ``merge``, add its entries to an existing JSON kubeconfig."""
    target = Path(path)
    if merge and target.exists():
        try:
            existing = orjson.loads(target.read_bytes())
        except orjson.JSONDecodeError:
            existing = None
        if isinstance(existing, dict):
            config = _merge(existing, config)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
    tmp.chmod(0o600)
    tmp.replace(target)
    return target
