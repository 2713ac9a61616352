"""Connection services against the real store and a real (closed) endpoint: a move into
CONNECTED needs a passing probe, deletion forgets environments, and every change is
logged and announced after it commits."""

from __future__ import annotations

import pytest

from graphql_server.broker import Broker
from graphql_server.errors import BadInput, ConnectivityFailed
from graphql_server.events import CONNECTIONS_TOPIC, LOG_TOPIC, ConnectionEvent, LogEntry
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.connections import ConnectionService, ProbeRequest
from graphql_server.store import Store
from graphql_server.store.connections import ConnectionQuery
from tests.conftest import free_port
from tests.services.conftest import drained

S = ConnectionStatus


async def test_a_failed_probe_keeps_the_status_and_records_the_test(
    sealed_store: Store, broker: Broker
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    record = await sealed_store.connections.create(
        kind="prometheus", name="p", url=closed, status=S.REGISTERED
    )
    service = ConnectionService(sealed_store, broker)
    async with broker.subscribe(LOG_TOPIC) as log:
        with pytest.raises(ConnectivityFailed):
            await service.transition(record.id, S.CONNECTED)
        (entry,) = await drained(log)
    assert isinstance(entry, LogEntry)
    assert entry.category == "connectivity_test"
    after = await sealed_store.connections.require(record.id)
    assert after.status is S.REGISTERED
    assert after.metadata["lastTest"]["ok"] is False


async def test_probe_of_an_unsaved_target_stores_nothing(
    sealed_store: Store, broker: Broker
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    service = ConnectionService(sealed_store, broker)
    result = await service.test(ProbeRequest(kind="prometheus", url=closed))
    assert not result.ok
    assert await sealed_store.connections.count(ConnectionQuery()) == 0
    with pytest.raises(BadInput):
        await service.test(ProbeRequest(url=closed))


async def test_delete_forgets_environments_and_announces(
    sealed_store: Store, broker: Broker
) -> None:
    record = await sealed_store.connections.create(kind="grafana", name="g", status=S.REGISTERED)
    environment = await sealed_store.environments.create("prod")
    await sealed_store.environments.assign(environment.id, [record.id])
    service = ConnectionService(sealed_store, broker)
    async with broker.subscribe(CONNECTIONS_TOPIC) as events:
        deleted = await service.transition(record.id, S.DELETED)
        (event,) = await drained(events)
    assert deleted.status is S.DELETED
    assert isinstance(event, ConnectionEvent)
    assert event.type == "DELETED"
    assert (await sealed_store.environments.of_connections([record.id])).get(record.id, []) == []


async def test_update_refuses_a_blank_name_and_announces_nothing(
    sealed_store: Store, broker: Broker
) -> None:
    record = await sealed_store.connections.create(kind="grafana", name="g", status=S.REGISTERED)
    service = ConnectionService(sealed_store, broker)
    async with broker.subscribe(CONNECTIONS_TOPIC) as events:
        with pytest.raises(BadInput):
            await service.update(record.id, name="  ")
        renamed = await service.update(record.id, name="grafana-prod")
        (event,) = await drained(events)
    assert renamed.name == "grafana-prod"
    assert isinstance(event, ConnectionEvent)
    assert event.type == "UPDATED"
