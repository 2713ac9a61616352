"""One unit of work: store writes that commit together, and the publications they
cause, released only after the commit.

``transaction`` opens a store transaction; the store's own methods join it. The store
has no public transaction helper yet, so this is the one place that reaches for the
database connection's transaction; when the store gains one, only this function
changes. ``Outbox`` fronts a broker for one request: while it holds, publications
wait, and they are dropped when the unit fails, so no subscriber hears of a write
that was rolled back. Neither keeps anything beyond one request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from graphql_server.broker import Broker
from graphql_server.broker.base import DEFAULT_MAILBOX, Overflows, Subscription
from graphql_server.store import Store


@asynccontextmanager
async def transaction(store: Store) -> AsyncIterator[None]:
    """Every store call inside commits together, or none does."""
    async with store.database.transaction():
        yield


class Outbox(Broker):
    """A broker that can hold one request's publications until its unit commits."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._held: list[tuple[str, object]] | None = None

    @property
    def overflows(self) -> Overflows:
        return self.broker.overflows

    async def publish(self, topic: str, message: object) -> None:
        if self._held is None:
            await self.broker.publish(topic, message)
        else:
            self._held.append((topic, message))

    def subscribe(self, topic: str, maxsize: int = DEFAULT_MAILBOX) -> Subscription:
        return self.broker.subscribe(topic, maxsize)

    def subscriber_count(self, topic: str | None = None) -> int:
        return self.broker.subscriber_count(topic)

    @asynccontextmanager
    async def holding(self) -> AsyncIterator[None]:
        """Hold publications; release them in order if the block succeeds."""
        if self._held is not None:  # already inside a unit: it releases them
            yield
            return
        held: list[tuple[str, object]] = []
        self._held = held
        try:
            yield
        finally:
            self._held = None
        for topic, message in held:
            await self.broker.publish(topic, message)
