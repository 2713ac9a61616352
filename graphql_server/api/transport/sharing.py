"""Shared subscription executions: identical websocket subscriptions run once.

Subscriptions with the same document, variables and operation name produce the
same results, so one GraphQL execution serves all of them: each result is
encoded to JSON once and offered to every subscriber's bounded mailbox, and
each connection's operation task only sends text from its own mailbox. A slow
socket delays itself only; one whose mailbox overflows is sent a
``MISSED_EVENTS`` error and its subscription ends, and it never makes the
server hold more than its mailbox.

This is the second level of sharing, above ``api.transport.fanout`` (one producer per
filter, whatever the document). The execution starts with the first subscriber
and is cancelled with the last; ``SharedStreams`` owns those tasks and is
closed by the app on shutdown. Queries, mutations and documents that do not
parse take strawberry's ordinary path.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, OperationType, get_operation_ast, parse
from strawberry.schema.base import BaseSchema
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from graphql_server.api.errors import MASKED_MESSAGE
from graphql_server.broker.base import DEFAULT_MAILBOX, Overflows, Subscription
from graphql_server.tasks import TaskOwner

log = logging.getLogger(__name__)

Key = tuple[str, str, str | None]  # document, canonical variables, operation name

PARSED_DOCUMENTS = 256


@dataclass(frozen=True, slots=True)
class Result:
    """One result, as the UTF-8 JSON text of a message payload."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Refused:
    """The operation failed before execution (validation): the errors, formatted."""

    errors: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Ended:
    """The execution is over; subscribers complete."""


def missed_payload(dropped: int) -> bytes:
    error = {
        "message": f"{dropped} events were dropped: subscribe again, then refetch",
        "extensions": {"code": "MISSED_EVENTS"},
    }
    return orjson.dumps({"data": None, "errors": [error]})


def encode(result: ExecutionResult) -> bytes:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return orjson.dumps(payload)


@functools.lru_cache(maxsize=PARSED_DOCUMENTS)
def _parse(query: str, max_tokens: int) -> DocumentNode | None:
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None


class _Stream:
    def __init__(self) -> None:
        self.members: set[Subscription] = set()
        self.task: asyncio.Task[Any] | None = None

    def emit(self, item: object) -> None:
        for member in tuple(self.members):
            member.offer(item)

    def leave(self, member: Subscription) -> None:
        self.members.discard(member)


class SharedStreams:
    def __init__(self, schema: BaseSchema, max_tokens: int, mailbox: int = DEFAULT_MAILBOX) -> None:
        self.schema = schema
        self.max_tokens = max_tokens
        self.mailbox = mailbox
        self._streams: dict[Hashable, _Stream] = {}
        self._tasks = TaskOwner("subscriptions")
        self._numbers = itertools.count(1)
        self.overflows = Overflows()

    @property
    def active(self) -> int:
        """Executions running."""
        return len(self._streams)

    def subscribers(self) -> int:
        return sum(len(s.members) for s in self._streams.values())

    def key(self, query: Any, variables: Any, operation_name: Any) -> Key | None:
        """What makes two operations identical, or ``None`` when this one is not a
        subscription that can be shared."""
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            return None
        document = _parse(query, self.max_tokens)
        if document is None:
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
            return None
        try:
            canonical = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:
            return None
        return (query, canonical, operation_name)

    @asynccontextmanager
    async def join(
        self, key: Key, context: Any, variables: dict[str, Any] | None
    ) -> AsyncIterator[Subscription]:
        """A mailbox of ``Result``/``Refused``/``Ended`` items (and ``Missed`` markers)."""
        stream = self._streams.get(key)
        if stream is None:
            stream = _Stream()
            self._streams[key] = stream
            run = self._run(key, stream, context, variables)
            stream.task = self._tasks.spawn(f"execution-{next(self._numbers)}", run)
        member = Subscription("subscription", self.mailbox, stream.leave, self.overflows)
        stream.members.add(member)
        try:
            yield member
        finally:
            member.close()
            if not stream.members and self._streams.get(key) is stream:
                del self._streams[key]
                if stream.task is not None:
                    await self._tasks.cancel(stream.task)

    async def _run(
        self, key: Key, stream: _Stream, context: Any, variables: dict[str, Any] | None
    ) -> None:
        query, _, operation_name = key
        try:
            results = await self.schema.subscribe(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
            )
            async with aclosing(results):
                first = True
                async for result in results:
                    if first and isinstance(result, PreExecutionError):
                        errors = tuple(dict(e.formatted) for e in result.errors or ())
                        stream.emit(Refused(errors))
                        return
                    first = False
                    stream.emit(Result(encode(result)))
        except Exception:
            log.exception("a shared subscription failed")
            error = {"message": MASKED_MESSAGE, "extensions": {"code": "INTERNAL"}}
            stream.emit(Result(orjson.dumps({"data": None, "errors": [error]})))
        finally:
            if self._streams.get(key) is stream:
                del self._streams[key]
            stream.emit(Ended())

    async def close(self) -> None:
        streams = list(self._streams.values())
        self._streams.clear()
        await self._tasks.close()
        for stream in streams:
            stream.emit(Ended())
