"""The connection stores on SQLite and PostgreSQL: compare-and-set transitions,
discovery upserts, pages, environments, the event log and sealed credentials."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from graphql_server.crypto import DecryptionFailed, SecretBox, generate_key
from graphql_server.errors import BadInput, Conflict, InvalidTransition, NotFound
from graphql_server.lifecycle import TRANSITIONS, ConnectionStatus
from graphql_server.store import Store
from graphql_server.store.connections import Changes, ConnectionQuery
from graphql_server.store.event_log import EventQuery

S = ConnectionStatus


@pytest.fixture
async def sealed_store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, secrets=SecretBox(generate_key()), server_id="srv-a")
    try:
        yield opened
    finally:
        await opened.close()


async def test_concurrent_transitions_apply_only_legal_moves(sealed_store: Store) -> None:
    connections = sealed_store.connections
    record = await connections.create(kind="prometheus", name="p", status=S.DISCOVERED)
    rng = random.Random(11)
    applied: list[tuple[S, S]] = []

    async def attempt(target: S) -> None:
        try:
            _, plan = await connections.transition(record.id, target)
        except (InvalidTransition, Conflict):
            return
        if plan.changed:
            applied.append((plan.source, plan.target))

    targets = [rng.choice([s for s in S if s is not S.DELETED]) for _ in range(200)]
    await asyncio.gather(*(attempt(t) for t in targets))
    final = await connections.require(record.id)
    assert applied
    for source, target in applied:
        assert target in TRANSITIONS[source]
    # Each applied move started from where the previous one ended: a single walk.
    balance: dict[S, int] = dict.fromkeys(S, 0)
    for source, target in applied:
        balance[source] += 1
        balance[target] -= 1
    balance[S.DISCOVERED] -= 1
    balance[final.status] += 1
    assert set(balance.values()) == {0}


async def test_a_refused_move_changes_nothing(sealed_store: Store) -> None:
    connections = sealed_store.connections
    record = await connections.create(kind="grafana", name="g", status=S.DISCOVERED)
    with pytest.raises(InvalidTransition):
        await connections.transition(record.id, S.MAINTENANCE, Changes(name="renamed"))
    assert await connections.require(record.id) == record
    same, plan = await connections.transition(record.id, S.DISCOVERED)
    assert not plan.changed
    assert same == record
    with pytest.raises(Conflict):
        await connections.transition(record.id, S.REGISTERED, expected=S.IGNORED)


async def test_deleting_releases_the_identity(sealed_store: Store) -> None:
    connections = sealed_store.connections
    first, created = await connections.discover(
        identity="service:c1:prometheus:mon/prom", kind="prometheus", name="prom", url="http://a"
    )
    again, created_again = await connections.discover(
        identity="service:c1:prometheus:mon/prom", kind="prometheus", name="prom", url="http://b"
    )
    assert created
    assert not created_again
    assert again.id == first.id
    assert again.url == "http://b"  # refreshed while DISCOVERED
    await connections.transition(first.id, S.DELETED)
    fresh, created = await connections.discover(
        identity="service:c1:prometheus:mon/prom", kind="prometheus", name="prom", url="http://b"
    )
    assert created
    assert fresh.id != first.id


async def test_concurrent_discovery_makes_one_connection(sealed_store: Store) -> None:
    results = await asyncio.gather(
        *(
            sealed_store.connections.discover(
                identity="kubeconfig:/k#ctx", kind="kubernetes", name="ctx", url=""
            )
            for _ in range(10)
        )
    )
    assert len({record.id for record, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_connection_of_another_server_is_invisible(database_url: str) -> None:
    one = await Store.open(database_url, server_id="srv-1")
    try:
        record = await one.connections.create(kind="grafana", name="g", status=S.DISCOVERED)
        other = Store(one.database, server_id="srv-2")
        assert await other.connections.get(record.id) is None
        assert await other.connections.count(ConnectionQuery()) == 0
        shared = await other.connections.create(
            kind="grafana", name="g", status=S.CONNECTED, cluster_id="c"
        )
        await one.connections.transition(record.id, S.DELETED)
        assert [r.id for r in await one.connections.referring_to_cluster("c", kind="grafana")] == [
            shared.id
        ]
    finally:
        await one.close()


async def test_pages_filters_and_status_summary(sealed_store: Store) -> None:
    connections = sealed_store.connections
    environments = sealed_store.environments
    made = []
    for i in range(7):
        made.append(
            await connections.create(
                kind="prometheus" if i % 2 else "grafana",
                name=f"conn-{i:02d}",
                url=f"http://host-{i}:9090",
                status=S.REGISTERED if i < 5 else S.IGNORED,
            )
        )
    await connections.transition(made[0].id, S.DELETED)
    production = await environments.create("production")
    await environments.assign(production.id, [made[1].id, made[3].id, made[3].id])

    everything = ConnectionQuery()
    assert await connections.count(everything) == 6  # DELETED left out by default
    names, after = [], None
    while True:
        page = await connections.page(everything, 4, after)
        names += [r.name for r in page.records]
        if not page.has_next:
            break
        after = page.cursors[-1]
    assert names == [f"conn-{i:02d}" for i in range(1, 7)]
    summary = await connections.status_counts(everything)
    assert (summary[S.REGISTERED], summary[S.IGNORED], summary[S.DELETED]) == (4, 2, 1)
    in_production = ConnectionQuery(environment_ids=(production.id,))
    assert [r.name for r in await connections.select(in_production)] == ["conn-01", "conn-03"]
    assert await connections.count(ConnectionQuery(kinds=("grafana",), search="HOST-4")) == 1
    assert await connections.count(ConnectionQuery(statuses=(S.DELETED,))) == 1
    with pytest.raises(BadInput):
        await connections.page(everything, 2, "not-a-cursor")
    with pytest.raises(NotFound):
        await connections.require_many([made[1].id, "missing"])


async def test_environments(sealed_store: Store) -> None:
    environments = sealed_store.environments
    staging = await environments.create(" staging ", "pre-production")
    assert staging.name == "staging"
    with pytest.raises(Conflict):
        await environments.create("staging")
    prod = await environments.create("prod")
    with pytest.raises(Conflict):
        await environments.update(prod.id, name="staging")
    renamed = await environments.update(prod.id, name="production")
    assert renamed.name == "production"
    assert await environments.assign(staging.id, ["a", "b"]) == 2
    assert await environments.assign(staging.id, ["b", "c"]) == 1
    assert await environments.assign(renamed.id, ["a"]) == 1
    assert sorted(await environments.connection_ids(staging.id)) == ["a", "b", "c"]
    memberships = await environments.of_connections(["a", "z"])
    assert [e.name for e in memberships["a"]] == ["production", "staging"]
    assert memberships["z"] == []
    assert await environments.unassign(staging.id, ["a", "x"]) == 1
    assert await environments.member_counts() == {staging.id: 2, renamed.id: 1}
    await environments.delete(staging.id)
    assert await environments.get(staging.id) is None
    assert await environments.member_counts() == {renamed.id: 1}


async def test_event_log_filters_pages_and_scrubs(sealed_store: Store) -> None:
    events = sealed_store.events
    for i in range(5):
        await events.add(
            severity="error" if i == 3 else "info",
            actor="user" if i % 2 else "sync",
            category="status_change",
            subject_type="connection",
            subject_id=f"c{i % 2}",
            message=f"entry number {i}",
            details={"nested": {"token": "t0ps3cret", "ok": 1}, "password": "pw"},
        )
    entries, cursors, more = await events.page(EventQuery(), 2)
    assert [e.message for e in entries] == ["entry number 4", "entry number 3"]
    assert more
    rest, _, more = await events.page(EventQuery(), 10, cursors[-1])
    assert [e.message for e in rest] == ["entry number 2", "entry number 1", "entry number 0"]
    assert not more
    assert entries[0].details == {"nested": {"token": "********", "ok": 1}, "password": "********"}
    assert await events.count(EventQuery(severities=("error",))) == 1
    assert await events.count(EventQuery(actors=("user",), subject_ids=("c1",))) == 2
    assert await events.count(EventQuery(search="NUMBER 2")) == 1
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await events.count(EventQuery(since=later)) == 0
    assert await events.count(EventQuery(until=later)) == 5
    assert EventQuery(categories=("status_change",), search="number 4").matches(entries[0])
    assert not EventQuery(severities=("error",)).matches(entries[0])
    with pytest.raises(BadInput):
        await events.add(
            severity="loud", actor="a", category="c", subject_type="t", subject_id="i", message="m"
        )


async def test_credentials_are_sealed_and_rotate(sealed_store: Store) -> None:
    credentials = sealed_store.credentials
    record = await credentials.create(
        name="prom",
        kind="prometheus",
        type="basic",
        data={"username": "admin", "password": "s3cret-pw"},
    )
    assert record.fields_set == ("password", "username")
    assert record.public == {"username": "admin"}
    _, opened = await credentials.secret(record.id)
    assert opened == {"username": "admin", "password": "s3cret-pw"}
    updated = await credentials.update(record.id, name="prom2", data={"password": "n3w-pw"})
    assert updated.name == "prom2"
    assert (await credentials.secret(record.id))[1]["password"] == "n3w-pw"
    with pytest.raises(BadInput):
        await credentials.update(record.id, data={"password": None})  # required field
    with pytest.raises(BadInput):
        await credentials.create(name="x", kind="grafana", type="basic", data={"username": "u"})

    old_box = credentials.box
    new_box = SecretBox(generate_key())
    assert await credentials.rotate(old_box, new_box) == 1
    with pytest.raises(DecryptionFailed):
        await credentials.secret(record.id)  # the store still holds the old key
    rotated = Store(sealed_store.database, secrets=new_box, server_id="srv-a")
    assert (await rotated.credentials.secret(record.id))[1]["password"] == "n3w-pw"
    with pytest.raises(DecryptionFailed):
        await rotated.credentials.rotate(old_box, SecretBox(generate_key()))
    assert (await rotated.credentials.secret(record.id))[1]["password"] == "n3w-pw"
