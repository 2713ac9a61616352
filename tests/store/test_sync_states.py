"""Per-type sync state: a status save writes every type given, in one transaction, and
leaves what it does not give (the resume version) as the writer stored it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from graphql_server.store import Store
from graphql_server.store.clusters import save_resume_versions

CLUSTER = "c1"


def status(resource_type: str, phase: str, count: int, **more: Any) -> dict[str, Any]:
    return {
        "cluster_id": CLUSTER,
        "resource_type": resource_type,
        "api_version": "v1",
        "kind": resource_type.capitalize(),
        "phase": phase,
        "resource_count": count,
        **more,
    }


async def test_a_status_save_keeps_the_resume_versions_it_does_not_give(store: Store) -> None:
    async with store.database.transaction() as conn:
        await save_resume_versions(
            conn, store.database.dialect, {(CLUSTER, "pods"): ("v1", "Pod", "41")}
        )
    seen = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    await store.clusters.save_kinds(
        [
            status("pods", "SYNCED", 3, last_event_at=seen),
            status("services", "DEGRADED", 1, last_error="watch failed: 500"),
            status("secrets", "PENDING", 0),
        ]
    )
    kinds = {k.resource_type: k for k in await store.clusters.kinds(CLUSTER)}
    assert sorted(kinds) == ["pods", "secrets", "services"]
    assert (kinds["pods"].phase, kinds["pods"].resource_count) == ("SYNCED", 3)
    assert kinds["pods"].resource_version == "41"  # the writer's, untouched
    assert kinds["pods"].last_event_at == seen
    assert kinds["services"].last_error == "watch failed: 500"
    assert kinds["secrets"].resource_version == ""  # a new row's default
    assert await store.clusters.resume_versions(CLUSTER) == {"pods": "41"}

    await store.clusters.save_kinds([status("services", "SYNCED", 2, last_error=None)])
    kinds = {k.resource_type: k for k in await store.clusters.kinds(CLUSTER)}
    assert (kinds["services"].phase, kinds["services"].last_error) == ("SYNCED", None)
    assert kinds["pods"].phase == "SYNCED"  # a type not given is left as it was


async def test_a_status_save_with_an_unknown_column_changes_nothing(store: Store) -> None:
    await store.clusters.save_kinds([status("pods", "SYNCED", 3)])
    with pytest.raises(ValueError, match="not a sync state column: colour"):
        await store.clusters.save_kinds(
            [status("pods", "DEGRADED", 0), status("services", "SYNCED", 1, colour="red")]
        )
    kinds = await store.clusters.kinds(CLUSTER)
    assert [(k.resource_type, k.phase, k.resource_count) for k in kinds] == [("pods", "SYNCED", 3)]
