"""Monitoring services found in synced clusters become DISCOVERED connections.

Owns running the registry's :func:`find_services` over the stored objects that a
change touches, and turning each Prometheus or Grafana it recognises into a
connection of that kind: one connection per service (same cluster, namespace, name
and kind), however often it is found. A service found again after it vanished moves
from NOT_FOUND back to DISCOVERED; a DISCOVERED one that is gone from a fully synced
cluster moves to NOT_FOUND. Registered connections are the operator's: discovery never
changes their status. Reads objects through the store only; never talks to a cluster.

Cost follows the change, not the cluster: a Service change evaluates that Service,
with the workloads its selector picks and a few of its Pods; a workload change the
Services of its namespace whose selectors pick it (and those already found there),
only in namespaces where something names a product (``targets.mentions_product``);
a ``Prometheus`` resource change the Services of its namespace. Every read is narrow
and indexed (``store.fingerprints``). When a cluster first reports SYNCED (or
DEGRADED), and after a ``Missed`` marker, one pass asks the database which
namespaces name a product and evaluates every Service of those. Nothing runs while
nothing changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from graphql_server.broker import Broker
from graphql_server.connectivity import Reach, get_definition
from graphql_server.errors import Conflict, GraphQLServerError, InvalidTransition
from graphql_server.events import (
    RESOURCES_TOPIC,
    SYNC_TOPIC,
    Missed,
    ResourceEvent,
    SyncStatusEvent,
)
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.registry import DiscoveredService, find_services
from graphql_server.registry.services import OPERATED_SERVICE
from graphql_server.registry.workloads import WorkloadIndex, collect_workloads
from graphql_server.store import Store
from graphql_server.store.connections import ConnectionQuery, ConnectionRecord
from graphql_server.sync.connections.notices import Notices
from graphql_server.sync.connections.targets import (
    WORDS,
    WORKLOAD_KINDS,
    Round,
    Targets,
    mentions_product,
    name_of,
    selector_of,
    template_labels,
    uid_of,
)
from graphql_server.sync.status import SyncTracker
from graphql_server.sync.supervisor import Supervisor

log = logging.getLogger(__name__)

SERVICE_KINDS = ("grafana", "prometheus")
PODS_PER_SERVICE = 5  # a workload's replicas run the same images: a few pods tell them
PASSED_PHASES = frozenset({"SYNCED", "DEGRADED"})


def service_identity(cluster_id: str, service: DiscoveredService) -> str:
    return f"service:{cluster_id}:{service.kind}:{service.namespace}/{service.name}"


class MonitoringDiscovery:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        supervisor: Supervisor,
        tracker: SyncTracker,
        notices: Notices,
        *,
        settle: float = 2.0,
    ) -> None:
        self.store = store
        self.broker = broker
        self.supervisor = supervisor
        self.tracker = tracker
        self.notices = notices
        self.settle = settle
        self.rounds = 0
        self.last_evaluated: set[tuple[str, str, str]] = set()  # (cluster, namespace, name)
        self._phases: dict[str, str] = {}
        self._passed: dict[str, bool] = {}  # cluster -> its full pass ran while SYNCED
        self._full: set[str] = set()
        self._pending: dict[str, dict[str, Targets]] = {}
        # Per cluster: namespaces holding something that names a product. A workload
        # change elsewhere that names none cannot make a Service found or lost.
        self._relevant: dict[str, set[str]] = {}
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        for cluster_id, state in self.tracker.clusters.items():
            self._phase(cluster_id, state.phase)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._follow(RESOURCES_TOPIC))
            group.create_task(self._follow(SYNC_TOPIC))
            while True:
                await self._wakeup.wait()
                await asyncio.sleep(self.settle)  # let a burst of changes gather
                try:
                    await self.evaluate_pending()
                finally:
                    if not (self._full or self._pending):  # else noted meanwhile: go again
                        self._wakeup.clear()

    def passed(self, cluster_id: str) -> bool:
        """Whether the cluster's full pass since it was last SYNCED is done."""
        return bool(self._passed.get(cluster_id))

    def pending(self) -> bool:
        """Whether changes wait to be evaluated, or are being evaluated."""
        return self._wakeup.is_set()

    async def _follow(self, topic: str) -> None:
        async with self.broker.subscribe(topic) as messages:
            async for message in messages:
                self.note(message)

    def note(self, message: object) -> None:
        """Remember what a message asks to evaluate; cheap, never reads the store."""
        if isinstance(message, Missed):
            if message.topic == SYNC_TOPIC:
                for cluster_id, state in self.tracker.clusters.items():
                    self._phase(cluster_id, state.phase)
            else:
                self._full.update(self._passed)
        elif isinstance(message, SyncStatusEvent):
            self._phase(message.cluster_id, message.phase)
        elif isinstance(message, ResourceEvent):
            self._changed(message)
        else:
            return
        if self._full or self._pending:
            self._wakeup.set()

    def _phase(self, cluster_id: str, phase: str) -> None:
        self._phases[cluster_id] = phase
        if phase not in PASSED_PHASES:
            # (Re)listing: the pass that follows covers whatever changes meanwhile.
            self._passed.pop(cluster_id, None)
            self._full.discard(cluster_id)
            self._pending.pop(cluster_id, None)
        elif cluster_id not in self._passed or (phase == "SYNCED" and not self._passed[cluster_id]):
            self._full.add(cluster_id)

    def _changed(self, event: ResourceEvent) -> None:
        resource = event.resource
        kind = resource.get("kind")
        if event.cluster_id not in self._passed or event.cluster_id in self._full:
            return  # the cluster's coming full pass reads this change anyway
        namespace = str(resource.get("namespace", ""))
        relevant = self._relevant.setdefault(event.cluster_id, set())
        if kind == "Service":
            self._targets(event.cluster_id, resource).names.add(str(resource.get("name", "")))
        elif kind in WORKLOAD_KINDS:
            if mentions_product(resource):
                relevant.add(namespace)
            if namespace in relevant:
                self._targets(event.cluster_id, resource).templates.add(template_labels(resource))
        elif kind == "Prometheus":
            relevant.add(namespace)
            self._targets(event.cluster_id, resource).every = True

    def _targets(self, cluster_id: str, resource: Mapping[str, Any]) -> Targets:
        namespaces = self._pending.setdefault(cluster_id, {})
        return namespaces.setdefault(str(resource.get("namespace", "")), Targets())

    # -- evaluating ----------------------------------------------------------------

    async def evaluate_pending(self) -> None:
        """Evaluate what the messages noted so far ask for."""
        full, self._full = self._full, set()
        pending, self._pending = self._pending, {}
        clusters = sorted((set(pending) | full) & set(self.supervisor.clusters))
        if not clusters:
            return  # what the last evaluation covered stays readable
        self.last_evaluated = set()
        for cluster_id in clusters:
            try:
                if cluster_id in full:
                    await self.full_pass(cluster_id)
                else:
                    await self._evaluate(cluster_id, pending[cluster_id])
            except GraphQLServerError as exc:
                log.warning(
                    "service discovery in %s failed: %s",
                    cluster_id,
                    exc.message,
                    extra={"cluster_id": cluster_id},
                )

    async def full_pass(self, cluster_id: str) -> int:
        """Evaluate every Service of one cluster; returns how many services were found."""
        self._passed[cluster_id] = self._synced(cluster_id)
        reads = self.store.fingerprints
        current = await self._round(cluster_id)
        relevant = await reads.candidate_namespaces(cluster_id, WORDS)
        self._relevant[cluster_id] = set(relevant)
        namespaces = relevant | {namespace for _, namespace, _ in current.discovered}
        for namespace in sorted(namespaces):
            await self._namespace(
                current,
                namespace,
                Targets(every=True),
                await reads.services(cluster_id, namespace),
                await reads.prometheuses(cluster_id, namespace),
            )
        await self._finish(current)
        return len(current.seen)

    async def _evaluate(self, cluster_id: str, namespaces: dict[str, Targets]) -> None:
        reads = self.store.fingerprints
        current = await self._round(cluster_id)
        for namespace, targets in sorted(namespaces.items()):
            if targets.every or targets.templates:
                services = await reads.services(cluster_id, namespace)
            else:
                services = await reads.services(cluster_id, namespace, sorted(targets.names))
            prometheuses = await reads.prometheuses(cluster_id, namespace)
            await self._namespace(current, namespace, targets, services, prometheuses)
        await self._finish(current)

    async def _round(self, cluster_id: str) -> Round:
        self.rounds += 1
        records = await self.store.connections.select(
            ConnectionQuery(
                kinds=SERVICE_KINDS,
                statuses=(ConnectionStatus.DISCOVERED,),
                cluster_ids=(cluster_id,),
            )
        )
        prefix = f"service:{cluster_id}:"
        discovered: dict[tuple[str, str, str], ConnectionRecord] = {}
        for record in records:
            identity = record.identity or ""
            if identity.startswith(prefix):
                kind, _, where = identity[len(prefix) :].partition(":")
                namespace, _, name = where.partition("/")
                discovered[(kind, namespace, name)] = record
        return Round(cluster_id, self._synced(cluster_id), discovered)

    async def _namespace(
        self,
        current: Round,
        namespace: str,
        targets: Targets,
        services: list[dict[str, Any]],
        prometheuses: list[dict[str, Any]],
    ) -> None:
        """Fingerprint the Services of one namespace that ``targets`` covers."""
        # Services found before are evaluated again when a workload changed: it may have
        # stopped matching them.
        wide = targets.every or bool(targets.templates)
        names = set(targets.names) | (current.found_in(namespace) if wide else set())
        names |= {name_of(s) for s in services if targets.covers(s)}
        if targets.every:
            names.add(OPERATED_SERVICE)
        chosen = [s for s in services if name_of(s) in names]
        picked = await self._picked(current, namespace, chosen, everything=targets.every)
        objects = [*chosen, *prometheuses, *picked]
        for service in find_services(objects):
            if service.name in names:
                current.seen.add((service.kind, namespace, service.name))
                await self._found(current.cluster_id, service)
        current.evaluated.update((namespace, name) for name in names)
        self.last_evaluated.update((current.cluster_id, namespace, name) for name in names)

    async def _picked(
        self, current: Round, namespace: str, services: list[dict[str, Any]], everything: bool
    ) -> list[dict[str, Any]]:
        """The workloads the Services select, and a few pods for each Service whose
        selector picks no workload (pods only count when no workload matches). With
        ``everything``, the namespace's workloads are read at once."""
        selecting = [s for s in services if selector_of(s)]
        if not selecting:
            return []
        reads, cluster_id = self.store.fingerprints, current.cluster_id
        workloads: dict[str, dict[str, Any]] = {}
        if everything:
            workloads = {uid_of(w): w for w in await reads.workloads(cluster_id, namespace)}
        else:
            for service in selecting:
                for workload in await reads.workloads(cluster_id, namespace, selector_of(service)):
                    workloads[uid_of(workload)] = workload
        index = WorkloadIndex(collect_workloads(workloads.values()))
        pods: dict[str, dict[str, Any]] = {}
        for service in selecting:
            if not index.matching(service):
                selector = selector_of(service)
                for pod in await reads.pods(cluster_id, namespace, selector, PODS_PER_SERVICE):
                    pods[uid_of(pod)] = pod
        return [*workloads.values(), *pods.values()]

    async def _finish(self, current: Round) -> None:
        """Services evaluated and not found are gone, once the cluster is fully synced."""
        if not current.complete:
            return
        for (kind, namespace, name), record in sorted(current.discovered.items()):
            key = (kind, namespace, name)
            if (namespace, name) in current.evaluated and key not in current.seen:
                await self._move(record.id, ConnectionStatus.DISCOVERED, ConnectionStatus.NOT_FOUND)

    def _synced(self, cluster_id: str) -> bool:
        phase = self._phases.get(cluster_id)
        if phase is None:
            state = self.tracker.clusters.get(cluster_id)
            phase = None if state is None else state.phase
        return phase == "SYNCED"

    async def _found(self, cluster_id: str, service: DiscoveredService) -> None:
        definition = get_definition(service.kind)
        record, created = await self.store.connections.discover(
            identity=service_identity(cluster_id, service),
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
                "reach": Reach.CLUSTER_PROXY.value,
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
