"""The resources table on SQLite and PostgreSQL: batched writes, sweeps, pages, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graphql_server.errors import BadInput
from graphql_server.events import ResourceEventType
from graphql_server.labels import parse_selector
from graphql_server.store import Store
from graphql_server.store.resources import COLUMNS, ResourceQuery, ResourceRow

CLUSTER = "c-1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def row(
    uid: str,
    name: str,
    *,
    version: str = "1",
    kind: str = "Pod",
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    owners: list[dict[str, str]] | None = None,
    cluster: str = CLUSTER,
    created: int = 0,
) -> ResourceRow:
    return ResourceRow(
        cluster_id=cluster,
        uid=uid,
        resource_type="pods" if kind == "Pod" else kind.lower() + "s",
        api_version="v1",
        group="",
        kind=kind,
        namespace=namespace,
        name=name,
        resource_version=version,
        labels=labels or {},
        annotations={"note": "x"},
        owner_references=owners or [],
        spec={"containers": [{"name": "c", "image": "nginx"}]},
        status={"phase": "Running"},
        extra=None,
        created_at=T0 + timedelta(seconds=created),
        updated_at=T0,
    )


async def test_apply_reports_added_modified_and_skips_unchanged(store: Store) -> None:
    resources = store.resources
    events = await resources.apply([row("u1", "a"), row("u2", "b")], [])
    assert [(e.type, e.uid) for e in events] == [
        (ResourceEventType.ADDED, "u1"),
        (ResourceEventType.ADDED, "u2"),
    ]
    again = await resources.apply([row("u1", "a"), row("u2", "b", version="2")], [])
    assert [(e.type, e.uid) for e in again] == [(ResourceEventType.MODIFIED, "u2")]
    stored = await resources.get(CLUSTER, "u2")
    assert stored is not None
    assert stored["resource_version"] == "2"
    assert stored["spec"] == {"containers": [{"name": "c", "image": "nginx"}]}
    assert stored["created_at"] == T0
    assert stored["id"] == f"{CLUSTER}/u2"


async def test_modified_event_carries_previous_labels(store: Store) -> None:
    await store.resources.apply([row("u1", "a", labels={"app": "web"})], [])
    events = await store.resources.apply([row("u1", "a", version="2", labels={"app": "db"})], [])
    assert events[0].previous_labels == {"app": "web"}
    assert events[0].resource["labels"] == {"app": "db"}


async def test_delete_returns_the_stored_row_once(store: Store) -> None:
    await store.resources.apply([row("u1", "a")], [])
    events = await store.resources.apply([], [(CLUSTER, "u1"), (CLUSTER, "missing")])
    assert [(e.type, e.resource["name"]) for e in events] == [(ResourceEventType.DELETED, "a")]
    assert await store.resources.get(CLUSTER, "u1") is None
    assert await store.resources.apply([], [(CLUSTER, "u1")]) == []


async def test_sweep_deletes_only_what_is_not_kept(store: Store) -> None:
    await store.resources.apply([row(f"u{i}", f"p{i}") for i in range(5)], [])
    await store.resources.apply([row("other", "x", cluster="c-2")], [])
    events = await store.resources.sweep(CLUSTER, "pods", keep={"u0", "u3"})
    assert sorted(e.uid for e in events) == ["u1", "u2", "u4"]
    assert sorted(await store.resources.versions(CLUSTER)) == ["u0", "u3"]
    assert await store.resources.versions("c-2") == {"other": "1"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "c"]),
        ("app==web,tier=front", ["a"]),
        ("app!=web", ["b", "d"]),
        ("tier in (front, back)", ["a", "b"]),
        ("tier notin (front)", ["b", "c", "d"]),
        ("tier", ["a", "b"]),
        ("!tier", ["c", "d"]),
        ("app.kubernetes.io/name=prometheus", ["d"]),
    ],
)
async def test_label_selectors(store: Store, selector: str, expected: list[str]) -> None:
    await store.resources.apply(
        [
            row("1", "a", labels={"app": "web", "tier": "front"}),
            row("2", "b", labels={"app": "db", "tier": "back"}),
            row("3", "c", labels={"app": "web"}),
            row("4", "d", labels={"app.kubernetes.io/name": "prometheus"}),
        ],
        [],
    )
    page = await store.resources.page(ResourceQuery(selector=parse_selector(selector)), 10)
    assert [r["name"] for r in page.rows] == expected


async def test_filters_combine(store: Store) -> None:
    await store.resources.apply(
        [
            row("1", "web-1", namespace="shop"),
            row("2", "web-2", namespace="blog"),
            row("3", "Web-3", namespace="shop", kind="Service"),
            row("4", "db-1", namespace="shop"),
            row("5", "web-4", namespace="shop", cluster="c-2"),
        ],
        [],
    )
    query = ResourceQuery(
        cluster_ids=(CLUSTER,), namespaces=("shop",), kinds=("Pod", "Service"), search="WEB"
    )
    page = await store.resources.page(query, 10)
    assert [r["name"] for r in page.rows] == ["Web-3", "web-1"]
    assert await store.resources.count(query) == 2
    assert await store.resources.count(ResourceQuery(search="%")) == 0


async def test_owner_filter(store: Store) -> None:
    owner = [{"uid": "rs-1", "kind": "ReplicaSet", "name": "rs"}]
    await store.resources.apply(
        [row("1", "a", owners=owner), row("2", "b"), row("3", "c", owners=owner)], []
    )
    page = await store.resources.page(ResourceQuery(owner_uid="rs-1"), 10)
    assert [r["name"] for r in page.rows] == ["a", "c"]


@pytest.mark.parametrize("order", ["NAME", "CREATED_AT", "NAMESPACE"])
async def test_keyset_pages_have_no_duplicates_or_gaps_while_data_changes(
    store: Store, order: str
) -> None:
    await store.resources.apply(
        [row(f"u{i:03}", f"n{i % 7}", created=i % 5, namespace=f"ns{i % 3}") for i in range(60)],
        [],
    )
    seen: list[str] = []
    deleted: set[str] = set()
    after = None
    step = 0
    while True:
        page = await store.resources.page(ResourceQuery(), 7, after, order=order)
        seen.extend(r["uid"] for r in page.rows)
        if not page.has_next:
            break
        after = page.cursors[-1]
        # Between pages: a seen row changes, a seen row goes, a new row arrives.
        step += 1
        changed = row(seen[0], f"n{int(seen[0][1:]) % 7}", version=str(step + 1), labels={"s": "x"})
        changed.namespace = f"ns{int(seen[0][1:]) % 3}"
        changed.created_at = T0 + timedelta(seconds=int(seen[0][1:]) % 5)
        await store.resources.apply([changed, row(f"new{step}", "a", created=0)], [])
        await store.resources.apply([], [(CLUSTER, seen[-1])])
        deleted.add(seen[-1])
    assert len(seen) == len(set(seen)), "a row was returned twice"
    original = {f"u{i:03}" for i in range(60)}
    assert original <= set(seen) | deleted, "an unchanged row was skipped"
    assert original - deleted <= set(seen)


async def test_bad_cursor_is_bad_input(store: Store) -> None:
    with pytest.raises(BadInput):
        await store.resources.page(ResourceQuery(), 5, "not-a-cursor")
    await store.resources.apply([row("1", "a"), row("2", "b")], [])
    page = await store.resources.page(ResourceQuery(), 1, order="NAME")
    with pytest.raises(BadInput):
        await store.resources.page(ResourceQuery(), 1, page.cursors[0], order="KIND")


async def test_count_by(store: Store) -> None:
    await store.resources.apply([row("1", "a"), row("2", "b"), row("3", "c", kind="Service")], [])
    counts = await store.resources.count_by(ResourceQuery(), ["kind"])
    assert sorted((c["kind"], c["n"]) for c in counts) == [("Pod", 2), ("Service", 1)]
    with pytest.raises(BadInput):
        await store.resources.count_by(ResourceQuery(), ["labels"])


async def test_migrations_are_applied_and_idempotent(database_url: str) -> None:
    first = await Store.open(database_url)
    assert await first.database.pending_migrations() == []
    await first.close()
    second = await Store.open(database_url)
    assert await second.database.pending_migrations() == []
    await second.close()


def test_a_row_is_written_and_reported_column_for_column() -> None:
    stored = row("u1", "a", labels={"app": "x"}).as_stored()
    assert list(stored) == [*COLUMNS, "id"]
    assert stored["id"] == f"{CLUSTER}/u1"
