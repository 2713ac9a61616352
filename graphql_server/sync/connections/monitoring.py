"""Monitoring services found in synced clusters become DISCOVERED connections.

Owns running the registry's :func:`find_services` over the stored objects of each
cluster being synced, soon after a Service, workload or Prometheus resource of it
changes and on a slow period, and turning each Prometheus or Grafana it recognises into
a connection of that kind: one connection per service (same cluster, namespace, name
and kind), however often it is found. A service found again after it vanished moves
from NOT_FOUND back to DISCOVERED; a DISCOVERED one that is gone from a fully synced
cluster moves to NOT_FOUND. Registered connections are the operator's: discovery never
changes their status. Reads objects through the store only; never talks to a cluster.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from graphql_server.broker import Broker
from graphql_server.connectivity import get_definition
from graphql_server.errors import Conflict, GraphQLServerError, InvalidTransition
from graphql_server.events import RESOURCES_TOPIC, Missed, ResourceEvent
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.registry import DiscoveredService, find_services
from graphql_server.store import Store
from graphql_server.store.connections import ConnectionQuery
from graphql_server.store.resources import ResourceQuery
from graphql_server.sync.connections.notices import Notices
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.supervisor import Supervisor

log = logging.getLogger(__name__)

TRIGGER_KINDS = frozenset(
    {"Service", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Prometheus"}
)
SCANNED_KINDS = (*sorted(TRIGGER_KINDS), "Pod")
PAGE = 1000


def service_identity(cluster_id: str, service: DiscoveredService) -> str:
    return f"service:{cluster_id}:{service.kind}:{service.namespace}/{service.name}"


def as_object(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row back in the shape the Kubernetes API returns it."""
    return {
        "apiVersion": row["api_version"],
        "kind": row["kind"],
        "metadata": {
            "name": row["name"],
            "namespace": row["namespace"],
            "uid": row["uid"],
            "labels": row["labels"] or {},
            "annotations": row["annotations"] or {},
            "ownerReferences": row["owner_references"] or [],
        },
        "spec": row["spec"] or {},
        "status": row["status"] or {},
    }


class MonitoringDiscovery:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        supervisor: Supervisor,
        tracker: SyncTracker,
        notices: Notices,
        *,
        interval: float = 60.0,
        settle: float = 2.0,
    ) -> None:
        self.store = store
        self.broker = broker
        self.supervisor = supervisor
        self.tracker = tracker
        self.notices = notices
        self.interval = interval
        self.settle = settle
        self.scans = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        async with self.broker.subscribe(RESOURCES_TOPIC) as changes:
            dirty: set[str] = set()
            next_full = loop.time()
            while True:
                try:
                    # Until the next full scan, or ``settle`` after the first change seen.
                    async with asyncio.timeout_at(next_full) as timer:
                        while True:
                            self._note(await changes.get(), dirty)
                            settled = loop.time() + self.settle
                            if dirty and (timer.when() or 0) > settled:
                                timer.reschedule(settled)
                except TimeoutError:
                    pass
                if loop.time() >= next_full:
                    dirty.update(self.supervisor.clusters)
                    next_full = loop.time() + self.interval
                for cluster_id in sorted(dirty & set(self.supervisor.clusters)):
                    try:
                        await self.scan(cluster_id)
                    except GraphQLServerError as exc:
                        log.warning(
                            "service discovery in %s failed: %s",
                            cluster_id,
                            exc.message,
                            extra={"cluster_id": cluster_id},
                        )
                dirty.clear()

    def _note(self, message: object, dirty: set[str]) -> None:
        if isinstance(message, Missed):
            dirty.update(self.supervisor.clusters)
        elif isinstance(message, ResourceEvent) and message.resource.get("kind") in TRIGGER_KINDS:
            dirty.add(message.cluster_id)

    async def _objects(self, cluster_id: str) -> Iterator[dict[str, Any]]:
        query = ResourceQuery(cluster_ids=(cluster_id,), kinds=SCANNED_KINDS)
        rows: list[dict[str, Any]] = []
        after = None
        while True:
            page = await self.store.resources.page(query, PAGE, after)
            rows.extend(page.rows)
            if not page.has_next or not page.cursors:
                break
            after = page.cursors[-1]
        return (as_object(row) for row in rows)

    def _synced(self, cluster_id: str) -> bool:
        state = self.tracker.clusters.get(cluster_id)
        return state is not None and state.phase == "SYNCED"

    async def scan(self, cluster_id: str) -> int:
        """Upsert a connection per service found in one cluster; returns how many."""
        self.scans += 1
        complete = self._synced(cluster_id)
        found = find_services(await self._objects(cluster_id))
        seen: set[str] = set()
        for service in found:
            identity = service_identity(cluster_id, service)
            seen.add(identity)
            await self._found(cluster_id, identity, service)
        if complete:
            await self._forget_missing(cluster_id, seen)
        return len(found)

    async def _found(self, cluster_id: str, identity: str, service: DiscoveredService) -> None:
        definition = get_definition(service.kind)
        record, created = await self.store.connections.discover(
            identity=identity,
            kind=service.kind,
            name=f"{service.name}.{service.namespace}",
            url=service.url,
            type=definition.type,
            sub_type=definition.sub_type,
            cluster_id=cluster_id,
            metadata={
                "clusterId": cluster_id,
                "namespace": service.namespace,
                "service": service.name,
                "port": service.port,
                "confidence": service.confidence,
                "evidence": list(service.evidence),
                "version": service.version,
                "discoveredBy": "fingerprint",
            },
        )
        where = f"{service.namespace}/{service.name} in cluster {cluster_id}"
        if created:
            await self.notices.log_connection(
                record,
                "discovery",
                f"discovered {service.kind} service {where} (confidence {service.confidence:.2f})",
                details={"evidence": list(service.evidence)},
            )
            await self.notices.announce("CREATED", record)
        elif record.status is ConnectionStatus.NOT_FOUND:
            await self._move(record.id, ConnectionStatus.NOT_FOUND, ConnectionStatus.DISCOVERED)

    async def _forget_missing(self, cluster_id: str, seen: set[str]) -> None:
        candidates = await self.store.connections.select(
            ConnectionQuery(
                kinds=("prometheus", "grafana"),
                statuses=(ConnectionStatus.DISCOVERED,),
                cluster_ids=(cluster_id,),
            )
        )
        for record in candidates:
            identity = record.identity or ""
            if identity.startswith(f"service:{cluster_id}:") and identity not in seen:
                await self._move(record.id, ConnectionStatus.DISCOVERED, ConnectionStatus.NOT_FOUND)

    async def _move(
        self, connection_id: str, source: ConnectionStatus, target: ConnectionStatus
    ) -> None:
        try:
            record, plan = await self.store.connections.transition(
                connection_id, target, expected=source
            )
        except (Conflict, InvalidTransition):
            return  # the operator moved it meanwhile
        if plan.changed:
            why = "found again" if target is ConnectionStatus.DISCOVERED else "no longer found"
            await self.notices.moved(source, record, f"the service is {why}")
