"""Access control: bearer tokens, what each grants, and when serving needs one.

Two optional tokens: the full-access token (queries, mutations, subscriptions)
and the read-only token (no mutations). With neither configured every client
has full access, which is only allowed on a loopback address unless the
operator says ``--insecure``. Tokens are compared in constant time and never
logged or echoed; the transports (``app``) find the token, this module decides.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql_server.errors import (
    ConfigurationError,
    Forbidden,
    GraphQLServerError,
    Unauthenticated,
)
from graphql_server.settings import Settings

log = logging.getLogger(__name__)


class Access(StrEnum):
    FULL = "full"
    READ = "read"


def tokens_required(settings: Settings) -> bool:
    return bool(settings.auth_token or settings.read_token)


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def access_for(settings: Settings, token: str | None) -> Access | None:
    """What a token grants; ``None`` when tokens are required and it grants nothing."""
    if not tokens_required(settings):
        return Access.FULL
    if not token:
        return None
    if _same(token, settings.auth_token):
        return Access.FULL
    if _same(token, settings.read_token):
        return Access.READ
    return None


def bearer(header: Any) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value."""
    if not isinstance(header, str):
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def token_from_params(params: Mapping[str, Any] | None) -> str | None:
    """The token of a websocket ``connection_init`` payload.

    Accepted: ``{"Authorization": "Bearer <token>"}`` (any case of the key, also
    inside ``"headers"``) or ``{"authToken": "<token>"}``.
    """
    if not isinstance(params, Mapping):
        return None
    token = params.get("authToken")
    if isinstance(token, str) and token:
        return token
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == "authorization":
            return bearer(value)
    headers = params.get("headers")
    if isinstance(headers, Mapping) and headers is not params:
        return token_from_params({k: v for k, v in headers.items() if k != "headers"})
    return None


class AccessControl(SchemaExtension):
    """Refuses operations without a valid token (when tokens are configured) and
    mutations without full access, whatever the transport."""

    def on_execute(self) -> Iterator[None]:
        refusal = self._refusal()
        if refusal is not None:
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                raise refusal
            # A result set here replaces execution (queries and mutations).
            error = GraphQLError(refusal.message, original_error=refusal)
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

    def _refusal(self) -> GraphQLServerError | None:
        context = self.execution_context.context
        services = getattr(context, "services", None)
        if services is None or not tokens_required(services.settings):
            return None
        access = getattr(context, "access", None)
        if access is None:
            return Unauthenticated("a valid bearer token is required")
        if (
            self.execution_context.operation_type is OperationType.MUTATION
            and access is not Access.FULL
        ):
            return Forbidden("mutations need the full-access token")
        return None


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve a non-loopback address without a token, unless told to."""
    if is_loopback(settings.host) or tokens_required(settings):
        return
    if not settings.insecure:
        raise ConfigurationError(
            f"refusing to listen on {settings.host} without an access token: anyone who can "
            "reach it could read the inventory and change connections. Set --auth-token "
            "(GRAPHQL_SERVER_AUTH_TOKEN, and optionally --read-token), listen on 127.0.0.1, "
            "or pass --insecure to serve without authentication."
        )
    log.warning("serving %s without authentication (--insecure)", settings.host)
