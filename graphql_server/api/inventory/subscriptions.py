"""Live subscriptions: resource changes, resource counts and sync status.

Every subscription is served from a shared feed (``api.transport.fanout``): identical
subscriptions (same field, same filter) share one producer that reads the
broker and builds the GraphQL objects once per event, with fresh batched
loaders per event. Subscribers only drain their own bounded mailbox.

A subscriber to ``resourceEvents`` that falls behind is not sent a partial
stream: its subscription ends with an error whose ``extensions.code`` is
``MISSED_EVENTS``. The other subscriptions carry state rather than changes, so
they recover by themselves (they refetch the current state from the store).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_server.api.context import Info
from graphql_server.api.enums import SyncPhase
from graphql_server.api.errors import MissedEvents
from graphql_server.api.inventory.filters import (
    ResourceFilter,
    bounded_values,
    change_seen_by,
    resolve_query,
)
from graphql_server.api.inventory.loaders import Loaders
from graphql_server.api.inventory.summaries import summarize, summary_producer
from graphql_server.api.inventory.types import (
    Resource,
    ResourceEvent,
    ResourceSummary,
    SyncStatus,
)
from graphql_server.api.registry.fingerprints import Fingerprints
from graphql_server.api.transport.fanout import Emit, FeedEnded, Feeds, FeedUnavailable, Producer
from graphql_server.broker import Broker
from graphql_server.events import RESOURCES_TOPIC, SYNC_TOPIC, Missed, SyncStatusEvent
from graphql_server.events import ResourceEvent as StoredEvent
from graphql_server.services.records import ResourceQuery, Store


def _feeds(info: Info) -> Feeds:
    feeds: Feeds | None = info.context.services.feeds
    if feeds is None:
        raise FeedUnavailable("subscriptions are not available in this process")
    return feeds


def resource_events_producer(
    store: Store, broker: Broker, query: ResourceQuery, fingerprints: Fingerprints
) -> Producer:
    async def produce(emit: Emit) -> None:
        async with broker.subscribe(RESOURCES_TOPIC) as changes:
            async for message in changes:
                if isinstance(message, Missed):
                    emit(message)
                    continue
                if not isinstance(message, StoredEvent):
                    continue
                seen = change_seen_by(query, message)
                if seen is None:
                    continue
                resource = Resource.from_row(message.resource, Loaders(store, fingerprints))
                emit(ResourceEvent(type=seen, resource=resource))

    return produce


async def _status(store: Store, cluster_id: str, event: SyncStatusEvent | None) -> SyncStatus:
    record = await store.clusters.get(cluster_id)
    if record is None:
        return SyncStatus(
            cluster_id=strawberry.ID(cluster_id),
            phase=SyncPhase(event.phase if event else "STOPPED"),
            resource_count=event.resource_count if event else 0,
            last_event_at=None,
            last_error=None,
            kinds=[],
        )
    return SyncStatus.build(record, await store.clusters.kinds(cluster_id))


async def _snapshot(store: Store, cluster_ids: tuple[str, ...]) -> list[SyncStatus]:
    records = await store.clusters.all(cluster_ids)
    return [SyncStatus.build(r, await store.clusters.kinds(r.id)) for r in records]


def sync_status_producer(store: Store, broker: Broker, cluster_ids: tuple[str, ...]) -> Producer:
    async def produce(emit: Emit) -> None:
        async with broker.subscribe(SYNC_TOPIC) as updates:
            async for message in updates:
                if isinstance(message, Missed):
                    for status in await _snapshot(store, cluster_ids):
                        emit(status)
                elif isinstance(message, SyncStatusEvent) and (
                    not cluster_ids or message.cluster_id in cluster_ids
                ):
                    emit(await _status(store, message.cluster_id, message))

    return produce


def _ended(item: FeedEnded) -> None:
    if item.failed:
        raise FeedUnavailable("the subscription's event source failed; subscribe again")


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes of resources matching the filter, every field applied on the "
        "server. An object that starts matching (a label changed) is sent as ADDED, one "
        "that stops matching as DELETED. A subscriber too slow to take the events gets, in "
        "place of the events it missed, an error with `extensions.code` `MISSED_EVENTS` "
        "that ends the subscription: subscribe again, then refetch with `resources`."
    )
    async def resource_events(
        self, info: Info, filter: ResourceFilter | None = None
    ) -> AsyncGenerator[ResourceEvent, None]:
        services = info.context.services
        query = await resolve_query(filter, services)
        feed = _feeds(info).join(
            ("resourceEvents", query),
            "resource-events",
            lambda: resource_events_producer(
                services.store, services.broker, query, services.fingerprints
            ),
        )
        async with feed as mailbox:
            async for item in mailbox:
                if isinstance(item, ResourceEvent):
                    yield item
                elif isinstance(item, Missed):
                    raise MissedEvents(
                        f"{item.dropped} events were dropped: subscribe again, then refetch"
                    )
                elif isinstance(item, FeedEnded):
                    _ended(item)
                    return

    @strawberry.subscription(
        description="Counts of the resources matching the filter: the current counts first, "
        "then new counts whenever they change, at most twice a second."
    )
    async def resource_summary(
        self, info: Info, filter: ResourceFilter | None = None
    ) -> AsyncGenerator[ResourceSummary, None]:
        services = info.context.services
        query = await resolve_query(filter, services)
        feed = _feeds(info).join(
            ("resourceSummary", query),
            "resource-summary",
            lambda: summary_producer(services.store, services.broker, query),
        )
        async with feed as mailbox:
            last = await summarize(services.store, query)
            yield last
            async for item in mailbox:
                if isinstance(item, FeedEnded):
                    _ended(item)
                    return
                if isinstance(item, ResourceSummary):
                    summary = item
                elif isinstance(item, Missed):
                    summary = await summarize(services.store, query)
                else:
                    continue
                if summary.groups != last.groups:
                    last = summary
                    yield summary

    @strawberry.subscription(
        description="Sync status of the given clusters (all when empty): the current status "
        "of each first, then each change."
    )
    async def sync_status(
        self, info: Info, cluster_ids: list[strawberry.ID] | None = None
    ) -> AsyncGenerator[SyncStatus, None]:
        ids = tuple(sorted(bounded_values("clusterIds", cluster_ids)))
        services = info.context.services
        feed = _feeds(info).join(
            ("syncStatus", ids),
            "sync-status",
            lambda: sync_status_producer(services.store, services.broker, ids),
        )
        async with feed as mailbox:
            for status in await _snapshot(services.store, ids):
                yield status
            async for item in mailbox:
                if isinstance(item, SyncStatus):
                    yield item
                elif isinstance(item, Missed):
                    for status in await _snapshot(services.store, ids):
                        yield status
                elif isinstance(item, FeedEnded):
                    _ended(item)
                    return
