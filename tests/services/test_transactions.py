"""The unit of work: writes commit together, publications wait for the commit."""

from __future__ import annotations

import pytest

from graphql_server.broker import Broker
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.notices import Notices
from graphql_server.services.transactions import Outbox
from graphql_server.store import Store
from tests.services.conftest import drained

TOPIC = "test.topic"


class Interrupted(Exception):
    pass


async def test_outbox_releases_in_order_after_the_block(broker: Broker) -> None:
    outbox = Outbox(broker)
    async with broker.subscribe(TOPIC) as sub:
        async with outbox.holding():
            await outbox.publish(TOPIC, 1)
            async with outbox.holding():  # inner units leave the release to the outer one
                await outbox.publish(TOPIC, 2)
            assert await drained(sub) == []
        assert await drained(sub) == [1, 2]
        await outbox.publish(TOPIC, 3)  # not holding: straight through
        assert await drained(sub) == [3]


async def test_outbox_drops_what_a_failed_block_published(broker: Broker) -> None:
    outbox = Outbox(broker)
    async with broker.subscribe(TOPIC) as sub:

        async def fail_after_publishing() -> None:
            async with outbox.holding():
                await outbox.publish(TOPIC, 1)
                raise Interrupted

        with pytest.raises(Interrupted):
            await fail_after_publishing()
        assert await drained(sub) == []
        await outbox.publish(TOPIC, 2)
        assert await drained(sub) == [2]


async def test_atomic_rolls_back_every_write_of_the_block(
    sealed_store: Store, broker: Broker
) -> None:
    notices = Notices(sealed_store, broker)
    created: list[str] = []

    async def fail_after_writing() -> None:
        async with notices.atomic():
            record = await sealed_store.connections.create(
                kind="prometheus", name="gone", status=ConnectionStatus.REGISTERED
            )
            created.append(record.id)
            await sealed_store.environments.create("staging")
            raise Interrupted

    with pytest.raises(Interrupted):
        await fail_after_writing()
    assert await sealed_store.connections.get(created[0]) is None
    assert await sealed_store.environments.all() == []
