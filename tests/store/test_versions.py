"""Applying changes is idempotent and safe against late copies, on SQLite and PostgreSQL.

Duplicate and out-of-order deliveries of the same history change nothing: an older
resourceVersion never overwrites a newer one, a delete older than the stored row
deletes nothing, a deleted object is not brought back by an older copy, and a sweep
leaves rows changed after its list alone.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from graphql_server.events import ResourceEventType
from graphql_server.labels import parse_selector
from graphql_server.store import Store
from graphql_server.store.resources import ResourceQuery, ResourceRow
from graphql_server.store.versions import compare_versions, predates, supersedes
from tests.store.test_resources import CLUSTER, row


async def state(store: Store) -> dict[str, str]:
    return await store.resources.versions(CLUSTER)


def test_version_order() -> None:
    assert compare_versions("10", "9") == 1
    assert compare_versions("9", "10") == -1
    assert compare_versions("7", "7") == 0
    assert compare_versions("a", "7") is None
    assert supersedes("10", "9")
    assert not supersedes("9", "10")
    assert not supersedes("9", "9")
    assert supersedes("b", "a")  # not ordered: any change
    assert not supersedes("a", "a")
    assert predates("9", "10")
    assert not predates("10", "9")
    assert not predates("x", "y")


async def test_an_older_version_never_overwrites_a_newer_one(store: Store) -> None:
    await store.resources.apply([row("u1", "a", version="10", labels={"v": "10"})], [])
    assert await store.resources.apply([row("u1", "a", version="9", labels={"v": "9"})], []) == []
    assert await store.resources.apply([row("u1", "a", version="10")], []) == []
    stored = await store.resources.get(CLUSTER, "u1")
    assert stored is not None
    assert (stored["resource_version"], stored["labels"]) == ("10", {"v": "10"})
    events = await store.resources.apply([row("u1", "a", version="11")], [])
    assert [(e.type, e.resource["resource_version"]) for e in events] == [
        (ResourceEventType.MODIFIED, "11")
    ]


async def test_versions_compare_as_integers_not_text(store: Store) -> None:
    await store.resources.apply([row("u1", "a", version="100")], [])
    assert await store.resources.apply([row("u1", "a", version="99")], []) == []
    assert len(await store.resources.apply([row("u1", "a", version="1000")], [])) == 1
    assert await state(store) == {"u1": "1000"}


async def test_versions_that_are_not_numbers_fall_back_to_equality(store: Store) -> None:
    await store.resources.apply([row("u1", "a", version="abc")], [])
    assert await store.resources.apply([row("u1", "a", version="abc")], []) == []
    assert len(await store.resources.apply([row("u1", "a", version="abd")], [])) == 1
    assert len(await store.resources.apply([row("u1", "a", version="7")], [])) == 1


async def test_a_delete_older_than_the_stored_row_deletes_nothing(store: Store) -> None:
    await store.resources.apply([row("u1", "a", version="10")], [])
    assert await store.resources.apply([], [(CLUSTER, "u1", "9")]) == []
    assert await state(store) == {"u1": "10"}
    events = await store.resources.apply([], [(CLUSTER, "u1", "12")])
    assert [(e.type, e.uid) for e in events] == [(ResourceEventType.DELETED, "u1")]
    assert await state(store) == {}


async def test_a_deleted_object_is_not_brought_back_by_an_older_copy(store: Store) -> None:
    await store.resources.apply([row("u1", "a", version="10")], [])
    await store.resources.apply([], [(CLUSTER, "u1", "12")])
    for version in ("10", "11", "12"):
        assert await store.resources.apply([row("u1", "a", version=version)], []) == []
    assert await state(store) == {}
    # The delete delivered again changes nothing either.
    assert await store.resources.apply([], [(CLUSTER, "u1", "12")]) == []


async def test_an_unversioned_delete_always_deletes_and_leaves_no_tombstone(
    store: Store,
) -> None:
    await store.resources.apply([row("u1", "a", version="10")], [])
    events = await store.resources.apply([], [(CLUSTER, "u1")])
    assert [e.type for e in events] == [ResourceEventType.DELETED]
    assert len(await store.resources.apply([row("u1", "a", version="10")], [])) == 1


async def test_a_sweep_leaves_rows_changed_after_its_list(store: Store) -> None:
    await store.resources.apply(
        [
            row("old", "a", version="5"),
            row("kept", "b", version="6"),
            row("new", "c", version="21"),
        ],
        [],
    )
    events = await store.resources.sweep(CLUSTER, "pods", {"kept"}, version="20")
    assert [(e.type, e.uid) for e in events] == [(ResourceEventType.DELETED, "old")]
    assert await state(store) == {"kept": "6", "new": "21"}
    # Applied again, or late, it removes nothing more; the swept row stays gone.
    assert await store.resources.sweep(CLUSTER, "pods", {"kept"}, version="20") == []
    assert await store.resources.apply([row("old", "a", version="5")], []) == []
    # Without a version (a type no longer served), everything not kept goes.
    await store.resources.sweep(CLUSTER, "pods", set())
    assert await state(store) == {}


async def test_delete_cluster_forgets_its_tombstones(store: Store) -> None:
    await store.resources.apply([row("u1", "a", version="3")], [(CLUSTER, "u2", "4")])
    await store.resources.delete_cluster(CLUSTER)
    assert len(await store.resources.apply([row("u2", "b", version="4")], [])) == 1


async def test_old_tombstones_are_pruned(store: Store) -> None:
    await store.resources.apply([], [(CLUSTER, "u1", "4")])
    store.resources.tombstones.retention = -10.0
    async with store.database.transaction() as conn:
        pruned = await store.resources.tombstones.prune_if_due(conn, force=True)
    assert pruned == 1
    assert len(await store.resources.apply([row("u1", "a", version="4")], [])) == 1


# -- histories delivered twice, late and shuffled ---------------------------------------

Op = tuple[str, ResourceRow | None, str, str]  # (kind, row, uid, version)


def history(seed: int, objects: int = 12, steps: int = 80) -> list[Op]:
    """A cluster's changes in order: creates, updates, deletes, and complete lists
    (a page of every live object, then a sweep at the list's version)."""
    rng = random.Random(seed)
    version = 100
    live: dict[str, ResourceRow] = {}
    serial = 0
    ops: list[Op] = []
    for _ in range(steps):
        version += 1
        choice = rng.random()
        if choice < 0.3 or len(live) < 2:
            serial += 1
            uid = f"u{serial}"
            live[uid] = row(uid, f"n{serial}", version=str(version), labels={"g": "0"})
            ops.append(("upsert", live[uid], uid, str(version)))
        elif choice < 0.7:
            uid = rng.choice(sorted(live))
            live[uid] = replace(
                live[uid], resource_version=str(version), labels={"g": str(version)}
            )
            ops.append(("upsert", live[uid], uid, str(version)))
        elif choice < 0.9 and len(live) < objects:
            uid = rng.choice(sorted(live))
            del live[uid]
            ops.append(("delete", None, uid, str(version)))
        else:
            for uid in sorted(live):
                ops.append(("upsert", live[uid], uid, live[uid].resource_version))
            ops.append(("sweep", None, ",".join(sorted(live)), str(version)))
    return ops


async def deliver(store: Store, op: Op) -> list[object]:
    kind, item, uid, version = op
    if kind == "upsert":
        assert item is not None
        return list(await store.resources.apply([item], []))
    if kind == "delete":
        return list(await store.resources.apply([], [(CLUSTER, uid, version)]))
    keep = set(uid.split(",")) if uid else set()
    return list(await store.resources.sweep(CLUSTER, "pods", keep, version=version))


async def rows(store: Store) -> dict[str, tuple[str, dict[str, str]]]:
    found = await store.resources.select(ResourceQuery(cluster_ids=(CLUSTER,)), limit=10_000)
    return {r["uid"]: (r["resource_version"], r["labels"]) for r in found}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_duplicate_and_late_deliveries_change_nothing(store: Store, seed: int) -> None:
    ops = history(seed)
    for op in ops:
        await deliver(store, op)
    final = await rows(store)
    assert final
    rng = random.Random(seed)
    # Every change delivered again, in any order, after the whole history: no event.
    again = ops[:]
    rng.shuffle(again)
    for op in again:
        assert await deliver(store, op) == [], op
    assert await rows(store) == final


@pytest.mark.parametrize("seed", [4, 5])
async def test_out_of_order_deliveries_end_in_the_same_state(store: Store, seed: int) -> None:
    """Each change's late copies arrive anywhere after it: the result is unchanged."""
    ops = history(seed)
    rng = random.Random(seed)
    for op in ops:
        await deliver(store, op)
    expected = await rows(store)
    await store.resources.delete_cluster(CLUSTER)
    # Replay the history with copies of earlier changes mixed in at random later points.
    pending: list[Op] = []
    for op in ops:
        pending.append(op)
        if rng.random() < 0.5:
            await deliver(store, rng.choice(pending))
        await deliver(store, op)
    for op in rng.sample(pending, k=min(20, len(pending))):
        await deliver(store, op)
    assert await rows(store) == expected


async def test_label_equality_uses_containment_on_postgres(store: Store) -> None:
    await store.resources.apply(
        [
            row("1", "a", labels={"app": "web", "tier": "front"}),
            row("2", "b", labels={"app": "db"}),
            row("3", "c", labels={"app.kubernetes.io/name": "web"}),
        ],
        [],
    )
    for text, expected in [
        ("app=web", ["a"]),
        ("app in (web,db)", ["a", "b"]),
        ("app.kubernetes.io/name=web", ["c"]),
        ("app=web,tier=front", ["a"]),
        ("app!=web", ["b", "c"]),
    ]:
        query = ResourceQuery(cluster_ids=(CLUSTER,), selector=parse_selector(text))
        assert sorted(r["name"] for r in await store.resources.select(query)) == expected, text
    if store.database.dialect != "postgres":
        return
    connection = store.database.connection()
    _, indexes = await connection.execute_query(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'resources'"
    )
    assert any("gin (labels)" in str(i["indexdef"]).lower() for i in indexes)
    # With enough rows and no sequential scans allowed, the planner takes the index.
    async with store.database.transaction() as conn:
        await conn.execute_query("SET LOCAL enable_seqscan = off")
        _, plan = await conn.execute_query(
            'EXPLAIN SELECT id FROM resources WHERE labels @> \'{"app": "web"}\'::jsonb'
        )
    assert "idx_resources_labels_gin" in " ".join(str(p["QUERY PLAN"]) for p in plan)
