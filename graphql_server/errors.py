"""The project's exception tree.

Every expected failure is one of these, each with a stable ``code`` that the API
shows as ``extensions.code``. Library exceptions are translated into these at the
package that owns the library; nothing here imports anything but the stdlib.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GraphQLServerError(Exception):
    """Base of every expected error; its message is safe to show to a client."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadInput(GraphQLServerError):
    code = "BAD_INPUT"


class NotFound(GraphQLServerError):
    code = "NOT_FOUND"


class Conflict(GraphQLServerError):
    code = "CONFLICT"


class InvalidTransition(GraphQLServerError):
    code = "INVALID_TRANSITION"


class Unauthenticated(GraphQLServerError):
    code = "UNAUTHENTICATED"


class Forbidden(GraphQLServerError):
    code = "FORBIDDEN"


class QueryTooCostly(GraphQLServerError):
    code = "QUERY_TOO_COSTLY"


class ConnectivityFailed(GraphQLServerError):
    code = "CONNECTIVITY_FAILED"


class ConfigurationError(GraphQLServerError):
    code = "CONFIGURATION"


class StoreUnavailable(GraphQLServerError):
    code = "STORE_UNAVAILABLE"


class BrokerUnavailable(GraphQLServerError):
    """The message broker (NATS) cannot be reached or refused a request."""

    code = "BROKER_UNAVAILABLE"


class KubernetesError(GraphQLServerError):
    """A Kubernetes API call failed; ``status`` is the HTTP status (0 for transport errors)."""

    code = "KUBERNETES_ERROR"

    def __init__(self, message: str, status: int = 0, reason: str = "", **details: Any) -> None:
        super().__init__(message, **details)
        self.status = status
        self.reason = reason


class ResourceVersionTooLarge(KubernetesError):
    """The API server has not reached the requested resourceVersion: its versions went
    backwards (restored from a backup, or a new cluster behind the same address)."""

    code = "RESOURCE_VERSION_TOO_LARGE"


class ResourceExpired(KubernetesError):
    """410 Gone: the requested resourceVersion or continue token is too old."""

    code = "RESOURCE_EXPIRED"
