"""Credential services against the real store: a forced delete unassigns and deletes
in one transaction, and what it announces is published only after the commit."""

from __future__ import annotations

import pytest

from graphql_server.broker import Broker
from graphql_server.errors import Conflict
from graphql_server.events import LOG_TOPIC, LogEntry
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.credentials import CredentialService
from graphql_server.store import Store
from graphql_server.store.credentials import CredentialRecord
from tests.services.conftest import drained


class Interrupted(Exception):
    """Raised by a fault hook between two writes of one unit."""


async def _assigned(store: Store, broker: Broker) -> tuple[CredentialRecord, list[str]]:
    service = CredentialService(store, broker)
    credential = await service.create(
        name="prom", kind="prometheus", type="bearer", data={"token": "s3cret-value"}
    )
    ids = []
    for name in ("a", "b"):
        record = await store.connections.create(
            kind="prometheus", name=name, status=ConnectionStatus.REGISTERED
        )
        ids.append(record.id)
    await service.assign(credential.id, ids)
    return credential, ids


async def test_forced_delete_unassigns_deletes_and_logs(
    sealed_store: Store, broker: Broker
) -> None:
    credential, ids = await _assigned(sealed_store, broker)
    async with broker.subscribe(LOG_TOPIC) as log:
        deleted = await CredentialService(sealed_store, broker).delete(credential.id, force=True)
        published = await drained(log)
    assert deleted.id == credential.id
    assert await sealed_store.credentials.get(credential.id) is None
    for connection in await sealed_store.connections.require_many(ids):
        assert connection.credential_id is None
    (entry,) = published
    assert isinstance(entry, LogEntry)
    assert entry.details == {"unassignedFrom": 2}
    assert "s3cret-value" not in repr(entry)


async def test_delete_in_use_without_force_changes_nothing(
    sealed_store: Store, broker: Broker
) -> None:
    credential, _ = await _assigned(sealed_store, broker)
    async with broker.subscribe(LOG_TOPIC) as log:
        with pytest.raises(Conflict):
            await CredentialService(sealed_store, broker).delete(credential.id)
        assert await drained(log) == []
    assert await sealed_store.credentials.get(credential.id) is not None
    assert await sealed_store.connections.credential_users(credential.id) == 2


async def test_failed_forced_delete_rolls_back_the_unassignment(
    sealed_store: Store, broker: Broker
) -> None:
    credential, _ = await _assigned(sealed_store, broker)
    real_delete = sealed_store.credentials.delete

    async def delete_then_fail(credential_id: str) -> CredentialRecord:
        await real_delete(credential_id)
        raise Interrupted

    sealed_store.credentials.delete = delete_then_fail  # type: ignore[method-assign]
    async with broker.subscribe(LOG_TOPIC) as log:
        with pytest.raises(Interrupted):
            await CredentialService(sealed_store, broker).delete(credential.id, force=True)
        assert await drained(log) == []
    sealed_store.credentials.delete = real_delete  # type: ignore[method-assign]
    # Both writes of the unit were undone: the credential exists and is still assigned.
    assert await sealed_store.credentials.get(credential.id) is not None
    assert await sealed_store.connections.credential_users(credential.id) == 2
    entries = await sealed_store.events.for_subject(credential.id)
    assert [e.message for e in entries if e.message.startswith("deleted")] == []
