"""The notification centre's own actions on the event log: mark entries read or
unread, delete them, count the unread ones.

Every change is announced on ``LOG_TOPIC`` as a :class:`~graphql_server.events.LogChange`
(after its commit), so that live unread counts follow it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from graphql_server.broker import Broker
from graphql_server.errors import BadInput
from graphql_server.events import LOG_TOPIC, LogChange
from graphql_server.store import Store
from graphql_server.store.event_log import EventQuery


class EventLogService:
    """Marking and deleting event log entries for one request."""

    def __init__(self, store: Store, broker: Broker) -> None:
        self.store = store
        self.broker = broker

    async def mark_read(self, ids: Sequence[str] | None, query: EventQuery | None) -> int:
        return await self._announced("read", await self.store.events.mark(True, ids, query))

    async def mark_unread(self, ids: Sequence[str]) -> int:
        if not ids:
            raise BadInput("give at least one id", field="ids")
        return await self._announced("unread", await self.store.events.mark(False, ids))

    async def delete(self, ids: Sequence[str] | None, query: EventQuery | None) -> int:
        return await self._announced("deleted", await self.store.events.delete(ids, query))

    async def _announced(self, action: str, count: int) -> int:
        if count:
            await self.broker.publish(LOG_TOPIC, LogChange(action=action, count=count))
        return count


async def unread_count(store: Store, query: EventQuery) -> int:
    return await store.events.count(dataclasses.replace(query, read=False))
