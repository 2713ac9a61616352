"""Validation of incoming objects and the server-managed metadata stamped on them.

Owns the apiserver's admission rules the simulator enforces (body shape, kind and
apiVersion, name syntax per kind, label syntax, namespace agreement with the URL) and the
helpers that build stored objects (timestamps, generated names, canonical key order).
Failures raise :class:`ApiError` with the status a real apiserver uses.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Collection
from typing import Any

from graphql_server.simulator.catalogue import (
    NAME_DNS1035,
    NAME_LABEL,
    NAME_PATH,
    ResourceType,
)
from graphql_server.simulator.status import bad_request, invalid

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789"

SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)

# Metadata fields only the server sets; clients' values are ignored.
SERVER_FIELDS = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
)


def rfc3339(epoch: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if epoch is None else epoch))


def generate_name(prefix: str, rng: random.Random) -> str:
    return prefix + "".join(rng.choice(_GENERATE_CHARS) for _ in range(5))


def name_error(rule: str, name: str) -> str | None:
    """Why ``name`` is not a valid object name under ``rule``; None when it is."""
    if rule == NAME_PATH:
        if name in (".", ".."):
            return f"may not be '{name}'"
        if "/" in name or "%" in name:
            return "may not contain '/' or '%'"
        return None
    if rule == NAME_LABEL:
        if len(name) > 63:
            return "must be no more than 63 characters"
        return None if _LABEL.match(name) else LABEL_MESSAGE
    if rule == NAME_DNS1035:
        if len(name) > 63:
            return "must be no more than 63 characters"
        return None if _DNS1035.match(name) else DNS1035_MESSAGE
    if len(name) > 253:
        return "must be no more than 253 characters"
    return None if _SUBDOMAIN.match(name) else SUBDOMAIN_MESSAGE


def _label_key_error(key: Any) -> str | None:
    if not isinstance(key, str):
        return "label keys must be strings"
    prefix, slash, name = key.rpartition("/")
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return "name part must consist of alphanumeric characters, '-', '_' or '.'"
    if slash and (not prefix or len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return "prefix part " + SUBDOMAIN_MESSAGE
    return None


def _label_value_error(value: Any) -> str | None:
    if not isinstance(value, str):
        return "label values must be strings"
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not _LABEL_NAME.match(value):
        return "a valid label must be an empty string or consist of alphanumeric characters"
    return None


def check_metadata_maps(meta: dict[str, Any]) -> list[tuple[str, str]]:
    causes: list[tuple[str, str]] = []
    labels = meta.get("labels")
    if labels is not None:
        if not isinstance(labels, dict):
            causes.append(("metadata.labels", "must be a map of string to string"))
        else:
            for key, value in labels.items():
                error = _label_key_error(key) or _label_value_error(value)
                if error:
                    causes.append((f"metadata.labels[{key}]", f'Invalid value: "{value}": {error}'))
    annotations = meta.get("annotations")
    if annotations is not None and (
        not isinstance(annotations, dict)
        or not all(isinstance(v, str) for v in annotations.values())
    ):
        causes.append(("metadata.annotations", "must be a map of string to string"))
    for field in ("finalizers",):
        value = meta.get(field)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            causes.append((f"metadata.{field}", "must be a list of strings"))
    refs = meta.get("ownerReferences")
    if refs is not None and (
        not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs)
    ):
        causes.append(("metadata.ownerReferences", "must be a list of owner references"))
    return causes


def check_body(
    rtype: ResourceType,
    body: Any,
    url_namespace: str,
    api_versions: Collection[str],
) -> dict[str, Any]:
    """Shape-check a create/update body; returns a new dict in canonical key order.

    The result has a fresh ``metadata`` dict, storage ``apiVersion`` and ``kind``, and the
    namespace from the URL; server-managed metadata is left for the caller to stamp.
    """
    if not isinstance(body, dict):
        raise invalid(rtype.kind, "", rtype.group, [("<body>", "the object must be a JSON object")])
    kind = body.get("kind")
    if kind not in (None, "", rtype.kind):
        raise invalid(
            rtype.kind,
            "",
            rtype.group,
            [("kind", f'Invalid value: "{kind}": must be {rtype.kind}')],
        )
    api_version = body.get("apiVersion")
    if api_version not in (None, "") and api_version not in api_versions:
        raise invalid(
            rtype.kind,
            "",
            rtype.group,
            [("apiVersion", f'Invalid value: "{api_version}": must be {rtype.api_version}')],
        )
    meta = body.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise invalid(rtype.kind, "", rtype.group, [("metadata", "must be an object")])
    meta = dict(meta)
    name = meta.get("name")
    if name is not None and not isinstance(name, str):
        raise invalid(rtype.kind, "", rtype.group, [("metadata.name", "must be a string")])
    if rtype.namespaced:
        body_ns = meta.get("namespace")
        if body_ns not in (None, "") and body_ns != url_namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        meta["namespace"] = url_namespace
    else:
        meta.pop("namespace", None)
    causes = check_metadata_maps(meta)
    if causes:
        raise invalid(rtype.kind, name or "", rtype.group, causes)
    obj: dict[str, Any] = {
        "apiVersion": rtype.storage_api_version,
        "kind": rtype.kind,
        "metadata": meta,
    }
    for key, value in body.items():
        if key not in obj:
            obj[key] = value
    return obj


def check_name(rtype: ResourceType, name: str | None) -> str:
    if not name:
        raise invalid(
            rtype.kind,
            "",
            rtype.group,
            [("metadata.name", "Required value: name or generateName is required")],
        )
    error = name_error(rtype.name_rule, name)
    if error:
        raise invalid(
            rtype.kind, name, rtype.group, [("metadata.name", f'Invalid value: "{name}": {error}')]
        )
    return name


def spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    """What a ``generation`` tracks: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}
