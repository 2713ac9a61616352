"""The broker contract and the per-subscriber bounded mailbox.

A subscriber that falls behind never slows the publisher and never grows
memory without bound: when its mailbox is full, what it holds is dropped and it
receives one ``Missed`` marker telling it how many messages it lost, so it can
refetch. Publishers never block on subscribers.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType

from graphql_server.events import Missed

log = logging.getLogger(__name__)

DEFAULT_MAILBOX = 1000


class Overflows:
    """Mailboxes that overflowed and the messages they dropped, by mailbox name.

    Kept by whoever owns the mailboxes (a broker, the API's shared streams and feeds);
    written only when a subscriber is too slow, read by the metrics.
    """

    def __init__(self) -> None:
        self.subscribers: Counter[str] = Counter()
        self.messages: Counter[str] = Counter()


class Subscription:
    """One subscriber's bounded mailbox on one topic; an async iterator of messages."""

    def __init__(
        self,
        topic: str,
        maxsize: int,
        on_close: Callable[[Subscription], None],
        overflows: Overflows | None = None,
    ) -> None:
        self.topic = topic
        self.overflows = overflows if overflows is not None else Overflows()
        self.maxsize = maxsize
        self._queue: deque[object] = deque()
        self._dropped = 0
        self._wakeup = asyncio.Event()
        self._closed = False
        self._on_close = on_close
        self.total_dropped = 0

    def offer(self, message: object) -> None:
        """Hand a message over without ever blocking the publisher."""
        if self._closed:
            return
        if len(self._queue) >= self.maxsize:
            if not self.total_dropped:
                self.overflows.subscribers[self.topic] += 1
            if not self._dropped:
                log.warning(
                    "a mailbox on %s overflowed at %d messages: they are dropped and its "
                    "subscriber is told to refetch",
                    self.topic,
                    self.maxsize,
                )
            self.overflows.messages[self.topic] += len(self._queue) + 1
            self._dropped += len(self._queue) + 1
            self.total_dropped += len(self._queue) + 1
            self._queue.clear()
        else:
            self._queue.append(message)
        self._wakeup.set()

    @property
    def backlog(self) -> int:
        return len(self._queue)

    async def get(self) -> object:
        """The next message; a ``Missed`` marker first if messages were dropped."""
        while True:
            if self._dropped:
                dropped, self._dropped = self._dropped, 0
                return Missed(topic=self.topic, dropped=dropped)
            if self._queue:
                return self._queue.popleft()
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    def __aiter__(self) -> AsyncIterator[object]:
        return self

    async def __anext__(self) -> object:
        return await self.get()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.clear()
            self._wakeup.set()
            self._on_close(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Broker(ABC):
    """Topic-based publish/subscribe."""

    @property
    @abstractmethod
    def overflows(self) -> Overflows:
        """The mailboxes of this broker's subscribers that overflowed."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect, where the broker has something to connect to."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect and end every subscription."""

    @abstractmethod
    async def publish(self, topic: str, message: object) -> None:
        """Deliver ``message`` to every current subscriber of ``topic``."""

    @abstractmethod
    def subscribe(self, topic: str, maxsize: int = DEFAULT_MAILBOX) -> Subscription:
        """A new mailbox receiving what is published on ``topic`` from now on."""

    @abstractmethod
    def subscriber_count(self, topic: str | None = None) -> int:
        """Current subscribers of ``topic`` (of every topic when ``None``)."""
