"""Kubernetes ``Status`` bodies and the error that carries them.

Owns :class:`ApiError` (an HTTP status plus a ``reason``, raised anywhere in the
simulator and turned into a ``Status`` response by the HTTP layer) and constructors for
the standard failures. It must not know about HTTP frameworks.
"""

from __future__ import annotations

from typing import Any

import orjson

from graphql_server.errors import KubernetesError


class ApiError(KubernetesError):
    """A request failed the way a real apiserver would fail it."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, status=status, reason=reason)
        self.status_details = details
        self.headers = headers or {}

    def status_object(self) -> dict[str, Any]:
        return status_body(self.status, self.reason, self.message, self.status_details)

    def body(self) -> bytes:
        return orjson.dumps(self.status_object())


def status_body(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return body


def _details(name: str, group: str, plural: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = plural
    return details


def _qualified(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(group: str, plural: str, name: str) -> ApiError:
    what = _qualified(group, plural)
    return ApiError(404, "NotFound", f'{what} "{name}" not found', _details(name, group, plural))


def path_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(group: str, plural: str, name: str) -> ApiError:
    what = _qualified(group, plural)
    return ApiError(
        409, "AlreadyExists", f'{what} "{name}" already exists', _details(name, group, plural)
    )


def conflict(group: str, plural: str, name: str) -> ApiError:
    what = _qualified(group, plural)
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {what} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(name, group, plural),
    )


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_old(requested: int, oldest: int) -> ApiError:
    return expired(f"too old resource version: {requested} ({oldest})")


def too_large(requested: int, current: int) -> ApiError:
    """A watch from a version this server has not reached (it was restored from a
    backup, or restarted): 504, as the apiserver answers once its wait runs out."""
    return ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
    )


# The cause reason of each field error, by how its message starts (apimachinery's
# field.ErrorType: "Required value" is FieldValueRequired, and so on).
_CAUSE_REASONS = (
    ("Required value", "FieldValueRequired"),
    ("Duplicate value", "FieldValueDuplicate"),
    ("Unsupported value", "FieldValueNotSupported"),
    ("Forbidden", "FieldValueForbidden"),
    ("Too long", "FieldValueTooLong"),
    ("Too many", "FieldValueTooMany"),
    ("Not found", "FieldValueNotFound"),
)


def cause_reason(message: str) -> str:
    return next(
        (r for start, r in _CAUSE_REASONS if message.startswith(start)), "FieldValueInvalid"
    )


def invalid(kind: str, name: str, group: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 Invalid; ``causes`` are (field, message) pairs."""
    summary = ", ".join(f"{fld}: {msg}" for fld, msg in causes)
    details: dict[str, Any] = {"name": name, "kind": kind}
    if group:
        details["group"] = group
    details["causes"] = [
        {"reason": cause_reason(msg), "message": msg, "field": fld} for fld, msg in causes
    ]
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {summary}', details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


# Who every client of a simulated cluster is (its bearer token names no one else).
USER = "system:serviceaccount:default:default"
USER_GROUPS = ("system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated")


def forbidden(verb: str, group: str, plural: str, namespace: str) -> ApiError:
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return ApiError(
        403,
        "Forbidden",
        f'{_qualified(group, plural)} is forbidden: User "{USER}"'
        f' cannot {verb} resource "{plural}" in API group "{group}" {scope}',
        _details("", group, plural),
    )


def method_not_allowed(method: str) -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        f"the server does not allow this method on the requested resource ({method})",
    )


def unsupported_media_type(accepted: tuple[str, ...]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")
