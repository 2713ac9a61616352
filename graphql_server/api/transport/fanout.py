"""Shared subscription feeds: one producer per distinct subscription, many subscribers.

Subscribers of the same kind of subscription with the same filter share one
*feed*: a single producer task reads the broker, does the work that does not
depend on the subscriber (matching, building the GraphQL objects, recounting)
once per event, and hands the same objects to every subscriber's bounded
mailbox. A subscriber that falls behind gets a ``Missed`` marker in place of
what it could not take and never makes the server hold more than its mailbox.

The producer starts with the first subscriber and is cancelled with the last.
``Feeds`` owns every producer task and is closed by the app on shutdown. This
module knows nothing of GraphQL types; the producers are built elsewhere.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from graphql_server.broker.base import DEFAULT_MAILBOX, Overflows, Subscription
from graphql_server.errors import GraphQLServerError
from graphql_server.tasks import TaskOwner

log = logging.getLogger(__name__)

Emit = Callable[[object], None]
Producer = Callable[[Emit], Awaitable[None]]


class FeedUnavailable(GraphQLServerError):
    code = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class FeedEnded:
    """Handed to subscribers when their feed's producer stopped; they must end too."""

    failed: bool


class _Feed:
    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.members: set[Subscription] = set()

    def emit(self, item: object) -> None:
        for member in tuple(self.members):
            member.offer(item)

    def leave(self, member: Subscription) -> None:
        self.members.discard(member)


class Feeds:
    """The feeds of this process, keyed by what makes two subscriptions identical."""

    def __init__(self, mailbox: int = DEFAULT_MAILBOX) -> None:
        self.mailbox = mailbox
        self._feeds: dict[Hashable, _Feed] = {}
        self._tasks = TaskOwner("feeds")
        self._tasks_by_key: dict[Hashable, asyncio.Task[Any]] = {}
        self._numbers = itertools.count(1)
        self._closed = False
        self.overflows = Overflows()

    @property
    def active(self) -> int:
        """Feeds running (one producer each)."""
        return len(self._feeds)

    def subscribers(self, key: Hashable | None = None) -> int:
        if key is not None:
            feed = self._feeds.get(key)
            return 0 if feed is None else len(feed.members)
        return sum(len(f.members) for f in self._feeds.values())

    @asynccontextmanager
    async def join(
        self, key: Hashable, name: str, producer: Callable[[], Producer]
    ) -> AsyncIterator[Subscription]:
        """A mailbox on the feed ``key``, started with ``producer()`` if it is new."""
        if self._closed:
            raise FeedUnavailable("the server is shutting down")
        feed = self._feeds.get(key)
        if feed is None:
            feed = _Feed(key)
            self._feeds[key] = feed
            run = self._run(feed, producer())
            task = self._tasks.spawn(f"{name}-{next(self._numbers)}", run)
            self._tasks_by_key[key] = task
        member = Subscription(name, self.mailbox, feed.leave, self.overflows)
        feed.members.add(member)
        try:
            yield member
        finally:
            member.close()
            if not feed.members and self._feeds.get(key) is feed:
                await self._stop(key)

    async def _run(self, feed: _Feed, produce: Producer) -> None:
        failed = False
        try:
            await produce(feed.emit)
        except Exception:
            failed = True
            log.exception("subscription feed %s failed", feed.key)
        finally:
            if self._feeds.get(feed.key) is feed:
                del self._feeds[feed.key]
                self._tasks_by_key.pop(feed.key, None)
            feed.emit(FeedEnded(failed=failed))

    async def _stop(self, key: Hashable) -> None:
        self._feeds.pop(key, None)
        task = self._tasks_by_key.pop(key, None)
        if task is not None:
            await self._tasks.cancel(task)

    async def close(self) -> None:
        """Stop every producer; their subscribers are told the feed ended."""
        self._closed = True
        feeds = list(self._feeds.values())
        await self._tasks.close()
        for feed in feeds:
            feed.emit(FeedEnded(failed=False))
        self._feeds.clear()
        self._tasks_by_key.clear()
