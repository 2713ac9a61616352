"""Retention of the event log by age and by count: one pass, the kept background task,
and the server applying its settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from graphql_server.broker import InProcessBroker
from graphql_server.events import LOG_TOPIC, LogChange
from graphql_server.services.notifications import EventRetention, Retention, event_retention
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.connection_models import EventLogEntry
from graphql_server.store.event_log import EventQuery
from tests.conftest import free_port, serving
from tests.connections.gql import eventually
from tests.notifications.gql import events


async def _fill(store: Store, count: int) -> list[int]:
    """``count`` distinct entries, oldest first; their ids."""
    ids = []
    for n in range(count):
        entry = await store.events.add(
            severity="info", actor="test", category="environment", subject_type="environment",
            subject_id=f"e{n}", subject_name=f"env {n}", message=f"created environment {n}",
        )  # fmt: skip
        ids.append(entry.id)
    return ids


async def _age(ids: list[int], days: int) -> None:
    await EventLogEntry.filter(id__in=ids).update(last_at=datetime.now(UTC) - timedelta(days=days))


async def _left(store: Store) -> list[int]:
    return sorted(await EventLogEntry.all().values_list("id", flat=True))


async def test_one_pass_by_age_then_count(store: Store) -> None:
    ids = await _fill(store, 12)
    await _age([ids[0], ids[5], ids[7]], days=3)
    broker = InProcessBroker()
    await broker.start()
    try:
        async with broker.subscribe(LOG_TOPIC) as changes:
            keeper = EventRetention(store, broker, Retention(days=2, count=6, chunk=2, pause=0))
            assert await keeper.apply() == 6
            assert await _left(store) == [ids[4], ids[6], *ids[8:]]
            assert await changes.get() == LogChange(action="deleted", count=6)
        assert await keeper.apply() == 0
    finally:
        await broker.stop()


async def test_age_counts_from_the_last_occurrence(store: Store) -> None:
    (first,) = await _fill(store, 1)
    await EventLogEntry.filter(id=first).update(at=datetime.now(UTC) - timedelta(days=40))
    broker = InProcessBroker()
    keeper = EventRetention(store, broker, Retention(days=30, count=100, pause=0))
    assert await keeper.apply() == 0, "a repeat seen lately keeps an old entry"
    await _age([first], days=31)
    assert await keeper.apply() == 1
    assert await store.events.count(EventQuery()) == 0


async def test_background_task_keeps_applying(store: Store) -> None:
    broker = InProcessBroker()
    await broker.start()
    try:
        retention = Retention(days=30, count=3, interval=0.1, chunk=2, pause=0)
        async with event_retention(store, broker, retention):
            ids = await _fill(store, 8)

            async def pruned() -> bool:
                return await _left(store) == ids[5:]

            await eventually(pruned, within=10, what="the retention to keep the newest 3")
    finally:
        await broker.stop()


async def test_server_applies_its_settings(database_url: str, tmp_path: Path) -> None:
    seeded = await Store.open(database_url)
    try:
        ids = await _fill(seeded, 9)
        await _age(ids[:2], days=8)
    finally:
        await seeded.close()
    settings = Settings(
        database_url=database_url, data_dir=tmp_path, port=free_port(),
        event_retention_days=7, event_retention_count=5,
    )  # fmt: skip
    async with serving(settings) as running:

        async def kept() -> list[str]:
            left = [e["subjectName"] for e in await events(running.graphql)]
            return left if len(left) == 5 else []

        names = await eventually(kept, within=15, what="the server's retention")
    assert names == [f"env {n}" for n in range(8, 3, -1)]
