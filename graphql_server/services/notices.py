"""What a service tells others, and the unit of work that decides when.

:class:`Notices` is the base of the request-scoped services: it records event log
entries and announces connection changes (``store.notices.ConnectionNotices``), with
every publication going through an :class:`~graphql_server.services.transactions.Outbox`,
and offers ``atomic()``: the writes of the block commit in one transaction, and what it
published is released after the commit, or dropped with the rollback. Never runs a
network probe inside ``atomic()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from graphql_server.broker import Broker
from graphql_server.services.transactions import Outbox, transaction
from graphql_server.store import Store
from graphql_server.store.notices import ConnectionNotices

ACTOR = "user"


class Notices(ConnectionNotices):
    """Event log entries and announcements on behalf of ``actor``, for one request."""

    def __init__(self, store: Store, broker: Broker, actor: str = ACTOR) -> None:
        self.outbox = Outbox(broker)
        super().__init__(store, self.outbox, actor)

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """One transaction for the block's writes; its publications after the commit."""
        async with self.outbox.holding(), transaction(self.store):
            yield
