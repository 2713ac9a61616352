"""The notification centre's own actions on the event log: mark entries read or
unread, delete them, count the unread ones, and keep the log within its retention.

Every change is announced on ``LOG_TOPIC`` as a :class:`~graphql_server.events.LogChange`
(after its commit), so that live unread counts follow it. Retention deletes in bounded
chunks, each its own short statement, pausing between them so that the store's other
writers never wait behind it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from graphql_server.broker import Broker
from graphql_server.errors import BadInput
from graphql_server.events import LOG_TOPIC, LogChange
from graphql_server.store import Store
from graphql_server.store.event_log import EventQuery
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

RETENTION_INTERVAL = 300.0  # seconds between retention passes
RETENTION_CHUNK = 500  # entries deleted per statement
RETENTION_PAUSE = 0.05  # seconds between two chunks


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


@dataclasses.dataclass(frozen=True, slots=True)
class Retention:
    """Entries last seen more than ``days`` ago go, and all but the newest ``count``."""

    days: int
    count: int
    interval: float = RETENTION_INTERVAL
    chunk: int = RETENTION_CHUNK
    pause: float = RETENTION_PAUSE


class EventRetention:
    """Applies a :class:`Retention` to the event log."""

    def __init__(self, store: Store, broker: Broker, retention: Retention) -> None:
        self.store = store
        self.broker = broker
        self.retention = retention

    async def apply(self) -> int:
        """One pass: delete chunk by chunk until nothing is beyond the retention."""
        older_than = datetime.now(UTC) - timedelta(days=self.retention.days)
        deleted = 0
        while True:
            removed = await self.store.events.prune_chunk(
                older_than, self.retention.count, self.retention.chunk
            )
            if not removed:
                break
            deleted += removed
            await asyncio.sleep(self.retention.pause)
        if deleted:
            log.info("event log retention deleted %d entries", deleted)
            await self.broker.publish(LOG_TOPIC, LogChange(action="deleted", count=deleted))
        return deleted

    async def run(self) -> None:
        """A pass at once, then one every ``interval`` seconds."""
        while True:
            await self.apply()
            await asyncio.sleep(self.retention.interval)


@asynccontextmanager
async def event_retention(
    store: Store, broker: Broker, retention: Retention, restarts: TaskRestarts | None = None
) -> AsyncIterator[EventRetention]:
    """The retention applied in the background (a kept task) while the block runs."""
    keeper = EventRetention(store, broker, retention)
    tasks = TaskOwner("event-log", restarts)
    tasks.keep("retention", keeper.run)
    try:
        yield keeper
    finally:
        await tasks.close()
