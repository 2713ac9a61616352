"""Error presentation: expected errors keep their message and get a stable code;
anything else is masked and logged.

Every error in a response carries ``extensions.code``. Our own errors
(``GraphQLServerError``) show their message and code; GraphQL syntax and
validation errors are ``BAD_INPUT``; everything unexpected becomes
``INTERNAL`` with a generic message, and its traceback goes to the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from graphql_server.api.transport.hygiene import without_suggestions
from graphql_server.errors import GraphQLServerError

log = logging.getLogger(__name__)

MASKED_MESSAGE = "Internal server error"


class MissedEvents(GraphQLServerError):
    """The subscriber fell behind; events were dropped and it must refetch."""

    code = "MISSED_EVENTS"


def present(error: GraphQLError, hide_suggestions: bool = False) -> GraphQLError:
    """The error as clients see it."""
    original = error.original_error
    if original is None:
        code = (error.extensions or {}).get("code") or "BAD_INPUT"
        error.extensions = {**(error.extensions or {}), "code": code}
        if hide_suggestions:
            error.message = without_suggestions(error.message)
        return error
    if isinstance(original, GraphQLServerError):
        error.message = original.message
        error.extensions = {**(error.extensions or {}), "code": original.code}
        return error
    if isinstance(original, GraphQLError):
        return present(original, hide_suggestions)
    if isinstance(original, InvalidOperationTypeError | CannotGetOperationTypeError):
        # e.g. a query sent over the subscriptions-only graphql-ws protocol
        error.extensions = {**(error.extensions or {}), "code": "BAD_INPUT"}
        return error
    log.error(
        "unexpected error in %s", ".".join(str(p) for p in error.path or ()), exc_info=original
    )
    return GraphQLError(
        MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": "INTERNAL"},
    )


class ErrorPresentation(SchemaExtension):
    def __init__(self, hide_suggestions: bool = False) -> None:
        self._streamed = False
        self.hide_suggestions = hide_suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        if self._streamed:
            return
        context = self.execution_context
        result = context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [present(e, self.hide_suggestions) for e in errors]
        elif context.pre_execution_errors:
            context.pre_execution_errors = [
                present(e, self.hide_suggestions) for e in context.pre_execution_errors
            ]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Subscription results are presented one by one, before they are sent."""
        self._streamed = True
        if getattr(result, "errors", None):
            result.errors = [present(e, self.hide_suggestions) for e in result.errors]
        yield
