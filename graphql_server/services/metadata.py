"""User metadata on connections: key-value pairs the operator sets, like labels.

They live in a connection's metadata next to the keys the server writes itself
(:data:`SERVER_KEYS`), which a user can neither set nor remove. Keys are 1-128
letters, digits, ``.``, ``_``, ``-`` or ``/``, starting and ending with a letter or
digit; values are strings of at most 1024 characters. Refusals are ``BadInput``
naming the key, never echoing a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphql_server.errors import BadInput

SERVER_KEYS = frozenset(
    {
        "registration", "lastTest", "context", "kubeconfigPath", "clusterId", "inCluster",
        "lastSyncError", "namespace", "service", "port", "confidence", "evidence", "version",
        "discoveredBy", "reach", "health", "healthMove",
    }
)  # fmt: skip
MAX_KEYS = 64
MAX_VALUE = 1024
_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,126}[A-Za-z0-9])?")


def check_key(key: object, field: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise BadInput(
            f"{field}: a key must be 1-128 letters, digits, '.', '_', '-' or '/', starting "
            "and ending with a letter or digit",
            field=field,
        )
    if key in SERVER_KEYS:
        raise BadInput(f"{field}: {key!r} is kept by the server and cannot be set", field=field)
    return key


def user_metadata(
    value: object, field: str = "metadata", *, removals: bool = False
) -> dict[str, Any]:
    """Validated key-value pairs; with ``removals``, a null value means "remove the key"."""
    if not isinstance(value, Mapping):
        raise BadInput(f"{field} must be an object of string values", field=field)
    if len(value) > MAX_KEYS:
        raise BadInput(f"{field} holds at most {MAX_KEYS} keys", field=field)
    checked: dict[str, Any] = {}
    for key, item in value.items():
        name = check_key(key, field)
        if item is None and removals:
            checked[name] = None
            continue
        if not isinstance(item, str):
            raise BadInput(f"{field}: the value of {name!r} must be a string", field=field)
        if len(item) > MAX_VALUE:
            raise BadInput(
                f"{field}: the value of {name!r} is longer than {MAX_VALUE} characters",
                field=field,
            )
        checked[name] = item
    return checked


def applied(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` metadata with user keys set (or removed, for null values)."""
    result = dict(current)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def matches(metadata: Mapping[str, Any], wanted: tuple[tuple[str, str], ...]) -> bool:
    return all(metadata.get(key) == value for key, value in wanted)
