"""A small inventory for the API tests, written through the store and published on
the broker exactly as the sync writer does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_server.events import RESOURCES_TOPIC
from graphql_server.store.resources import ResourceRow
from tests.conftest import RunningServer

C1, C2 = "c-1", "c-2"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def resource(
    uid: str,
    name: str,
    *,
    kind: str = "Pod",
    api_version: str = "v1",
    namespace: str = "shop",
    labels: dict[str, str] | None = None,
    owner: tuple[str, str] | None = None,
    cluster: str = C1,
    version: str = "1",
    created: int = 0,
    updated: int = 0,
) -> ResourceRow:
    owners = []
    if owner is not None:
        owners = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": owner[1]}]
    return ResourceRow(
        cluster_id=cluster,
        uid=uid,
        resource_type=kind.lower() + "s",
        api_version=api_version,
        group=api_version.rpartition("/")[0],
        kind=kind,
        namespace=namespace,
        name=name,
        resource_version=version,
        labels=labels or {},
        annotations={},
        owner_references=owners,
        spec={"replicas": 1} if kind == "Deployment" else {},
        status={"phase": "Running"} if kind == "Pod" else {},
        extra=None,
        created_at=T0 + timedelta(seconds=created),
        updated_at=T0 + timedelta(seconds=updated),
    )


def inventory() -> list[ResourceRow]:
    """Two clusters: a Deployment with its ReplicaSet and Pods, and neighbours."""
    return [
        resource("ns-shop", "shop", kind="Namespace", namespace="", created=1),
        resource("ns-blog", "blog", kind="Namespace", namespace="", created=2),
        resource("node-1", "node-1", kind="Node", namespace="", created=3),
        resource(
            "web",
            "web",
            kind="Deployment",
            api_version="apps/v1",
            labels={"app": "web"},
            created=4,
            updated=9,
        ),
        resource(
            "web-rs",
            "web-7d9f",
            kind="ReplicaSet",
            api_version="apps/v1",
            labels={"app": "web"},
            owner=("Deployment", "web"),
            created=5,
        ),
        resource(
            "web-a",
            "web-7d9f-a",
            labels={"app": "web", "tier": "front"},
            owner=("ReplicaSet", "web-rs"),
            created=6,
            updated=3,
        ),
        resource(
            "web-b",
            "web-7d9f-b",
            labels={"app": "web", "tier": "front"},
            owner=("ReplicaSet", "web-rs"),
            created=7,
            updated=1,
        ),
        resource("db-0", "db-0", labels={"app": "db"}, created=8, updated=2),
        resource("svc-web", "web", kind="Service", labels={"app": "web"}, created=9),
        resource("blog-0", "blog-0", namespace="blog", labels={"app": "blog"}, created=10),
        resource("x-web", "web-x", cluster=C2, labels={"app": "web"}, created=11),
    ]


async def apply(
    server: RunningServer, rows: list[ResourceRow], deletes: tuple[tuple[str, str], ...] = ()
) -> None:
    """Commit rows and publish the resulting events, as the writer does."""
    services = server.services
    events = await services.store.resources.apply(rows, list(deletes))
    for event in events:
        await services.broker.publish(RESOURCES_TOPIC, event)


async def seed(server: RunningServer) -> None:
    store = server.services.store
    await store.clusters.upsert(C1, "dev", "https://dev.example:6443", "v1.31.0")
    await store.clusters.upsert(C2, "prod", "https://prod.example:6443", "v1.30.2")
    await apply(server, inventory())


async def wait_for_feeds(server: RunningServer, subscribers: int = 1) -> None:
    """Until ``subscribers`` websocket subscriptions are attached to executions that
    have all joined their feeds (from then on no event is missed)."""
    feeds, streams = server.services.feeds, server.services.streams
    assert feeds is not None
    assert streams is not None
    for _ in range(500):
        if streams.subscribers() >= subscribers and feeds.subscribers() >= streams.active > 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(
        f"{streams.subscribers()} of {subscribers} subscribers attached, "
        f"{feeds.subscribers()} of {streams.active} executions on their feeds"
    )


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]
