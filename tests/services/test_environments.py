"""Environment services against the real store: membership changes are logged and
announced after they commit; refused ones change and announce nothing."""

from __future__ import annotations

import pytest

from graphql_server.broker import Broker
from graphql_server.errors import BadInput
from graphql_server.events import CONNECTIONS_TOPIC, ConnectionEvent
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.environments import EnvironmentService
from graphql_server.store import Store
from tests.services.conftest import drained


async def test_assign_and_unassign_announce_each_connection(
    sealed_store: Store, broker: Broker
) -> None:
    service = EnvironmentService(sealed_store, broker)
    environment = await service.create("staging", None)
    ids = [
        (
            await sealed_store.connections.create(
                kind="grafana", name=name, status=ConnectionStatus.REGISTERED
            )
        ).id
        for name in ("a", "b")
    ]
    async with broker.subscribe(CONNECTIONS_TOPIC) as events:
        await service.assign(environment.id, ids)
        announced = await drained(events)
        assert [(e.type, e.connection_id) for e in announced if isinstance(e, ConnectionEvent)] == [
            ("UPDATED", ids[0]),
            ("UPDATED", ids[1]),
        ]
        await service.unassign(environment.id, ids[:1])
        assert len(await drained(events)) == 1
    members = await sealed_store.environments.of_connections(ids)
    assert [e.id for e in members.get(ids[1], [])] == [environment.id]
    assert members.get(ids[0], []) == []


async def test_a_deleted_connection_cannot_join(sealed_store: Store, broker: Broker) -> None:
    service = EnvironmentService(sealed_store, broker)
    environment = await service.create("prod", "")
    deleted = await sealed_store.connections.create(
        kind="grafana", name="old", status=ConnectionStatus.DELETED
    )
    async with broker.subscribe(CONNECTIONS_TOPIC) as events:
        with pytest.raises(BadInput):
            await service.assign(environment.id, [deleted.id])
        with pytest.raises(BadInput):
            await service.assign(environment.id, [])
        assert await drained(events) == []
    assert await sealed_store.environments.of_connections([deleted.id]) in ({}, {deleted.id: []})
