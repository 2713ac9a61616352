"""Fixtures for the service layer: a sealed store (SQLite, and PostgreSQL where it
runs) and the in-process broker, with a subscriber that collects what was published."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from graphql_server.broker import Broker
from graphql_server.broker.base import Subscription
from graphql_server.broker.memory import InProcessBroker
from graphql_server.crypto import SecretBox, generate_key
from graphql_server.store import Store


@pytest.fixture
async def sealed_store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, secrets=SecretBox(generate_key()), server_id="srv-a")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def broker() -> AsyncIterator[Broker]:
    running = InProcessBroker()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def drained(subscription: Subscription) -> list[object]:
    """Everything a subscription holds now (the in-process broker delivers at once)."""
    received = []
    while subscription.backlog:
        received.append(await subscription.get())
    return received
