"""Continuous health: every CONNECTED connection tested on a jittered interval.

Owns the health loop of one server instance (one kept background task, see
:func:`connection_health`). A Prometheus or Grafana is tested with its connectivity
probe, through its reach; a Kubernetes connection counts its watch streams as the
test: it fails while its cluster cannot be reached or every watch of its cluster is
DEGRADED. After ``failures`` failed tests in a row a connection moves to REGISTERED,
marked as the server's move (``healthMove``), and back to CONNECTED when a test
passes again, but only while that mark holds: an operator's move clears it, so the
loop never undoes an operator's choice. Each move is one event log entry; a test
that moves nothing writes only the connection's health metadata, never an entry.
Nothing here may end the loop: a connection whose test raises is logged and skipped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from graphql_server.broker import Broker
from graphql_server.connectivity import ConnectivityResult
from graphql_server.connectivity.diagnosis import diagnose
from graphql_server.errors import Conflict, InvalidTransition
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.connections import ConnectionService
from graphql_server.services.health import (
    HEALTH_KEY,
    MOVE_KEY,
    HealthTest,
    health_of,
    moved_by_server,
    recorded,
    server_move,
)
from graphql_server.services.probing import probe_stored, test_summary
from graphql_server.store import Store
from graphql_server.store.connections import Changes, ConnectionQuery, ConnectionRecord
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

ACTOR = "health"
MAX_CONNECTIONS = 1000  # connections tested per pass
HEALTHY_PHASES = frozenset({"PENDING", "SYNCING", "SYNCED"})

SourceReport = Callable[[], Sequence[dict[str, object]]]
"""The sync's latest attempt to reach each cluster source (``/readyz``'s ``sources``)."""


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    interval: float = 60.0
    failures: int = 3
    history: int = 20
    jitter: float = 0.2
    """Each pause is ``interval`` times a factor from ``1 - jitter`` to ``1 + jitter``."""
    concurrency: int = 8

    def next_delay(self) -> float:
        return self.interval * random.uniform(1 - self.jitter, 1 + self.jitter)


def _verdict(
    record: ConnectionRecord, ok: bool, message: str, reason: str = ""
) -> ConnectivityResult:
    status = ConnectionStatus.CONNECTED if ok else ConnectionStatus.REGISTERED
    details = {"reason": reason} if reason else {}
    return ConnectivityResult(record.kind, ok, status, message, details=details)


async def watch_verdict(
    store: Store, record: ConnectionRecord, sources: SourceReport | None
) -> ConnectivityResult | None:
    """A Kubernetes connection's watch streams as a test; None while there is nothing to
    judge yet (its sync has not reached the cluster and has not failed to)."""
    for source in sources() if sources is not None else ():
        if source.get("name") == record.name and not source.get("healthy"):
            reason = str(source.get("reason") or "unreachable")
            return _verdict(
                record, False, f"the sync cannot reach the cluster: {source.get('error')}", reason
            )
    if not record.cluster_id:
        return None
    kinds = await store.clusters.kinds(record.cluster_id)
    if not kinds:
        return None
    healthy = [k for k in kinds if k.phase in HEALTHY_PHASES]
    if not healthy:
        error = next((k.last_error for k in kinds if k.last_error), None) or "no error reported"
        message = f"every watch stream of cluster {record.cluster_id} fails: {error}"
        return _verdict(record, False, message, "watches_failing")
    return _verdict(
        record,
        True,
        f"{len(healthy)} of {len(kinds)} watch streams of cluster {record.cluster_id} are healthy",
    )


class HealthChecks:
    """Tests connections and moves them as their health requires."""

    def __init__(
        self,
        store: Store,
        broker: Broker,
        policy: HealthPolicy,
        sources: SourceReport | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.policy = policy
        self.sources = sources

    async def run(self) -> None:
        """A pass after each jittered interval, for as long as the server runs."""
        while True:
            await asyncio.sleep(self.policy.next_delay())
            await self.check_all()

    async def check_all(self) -> int:
        """Test every CONNECTED connection, and those the server moved to REGISTERED."""
        query = ConnectionQuery(statuses=(ConnectionStatus.CONNECTED, ConnectionStatus.REGISTERED))
        records = await self.store.connections.select(query, limit=MAX_CONNECTIONS)
        due = [
            r
            for r in records
            if r.status is ConnectionStatus.CONNECTED or moved_by_server(r.metadata)
        ]
        gate = asyncio.Semaphore(self.policy.concurrency)

        async def one(record: ConnectionRecord) -> bool:
            async with gate:
                try:
                    return await self.check(record) is not None
                except Exception as exc:
                    log.warning(
                        "health test of %s connection %r failed to run: %s",
                        record.kind,
                        record.name,
                        str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__,
                        exc_info=exc,
                    )
                    return False

        return sum(await asyncio.gather(*(one(r) for r in due)))

    async def _test(self, record: ConnectionRecord) -> ConnectivityResult | None:
        if record.kind == "kubernetes" and record.status is ConnectionStatus.CONNECTED:
            return await watch_verdict(self.store, record, self.sources)
        return await probe_stored(self.store, record)

    async def check(self, record: ConnectionRecord) -> HealthTest | None:
        """Test one connection, record the outcome and move it if its health says so."""
        result = await self._test(record)
        if result is None:
            return None
        test = HealthTest.of(result, datetime.now(UTC))
        health = recorded(record.metadata, test, self.policy.failures, self.policy.history)
        merge: dict[str, object] = {HEALTH_KEY: health}
        if record.kind != "kubernetes" or record.status is not ConnectionStatus.CONNECTED:
            merge["lastTest"] = test_summary(result)
        actions = ConnectionService(self.store, self.broker, ACTOR)
        failures = int(health["consecutiveFailures"])
        if record.status is ConnectionStatus.CONNECTED and failures >= self.policy.failures:
            why = (
                f"{failures} health tests failed in a row; the last: {result.message}"
                if failures > 1
                else f"its health test failed: {result.message}"
            )
            merge[MOVE_KEY] = server_move(result.message, test.at)
            await self._move(actions, record, ConnectionStatus.REGISTERED, merge, result, why)
        elif record.status is ConnectionStatus.REGISTERED and test.ok:
            merge[MOVE_KEY] = None
            why = f"its health test passes again: {result.message}"
            await self._move(actions, record, ConnectionStatus.CONNECTED, merge, result, why)
        else:
            updated = await self.store.connections.merge_metadata(record, merge)
            if health_of(updated.metadata).status is not health_of(record.metadata).status:
                await actions.announce("UPDATED", updated)
        return test

    async def _move(
        self,
        actions: ConnectionService,
        record: ConnectionRecord,
        target: ConnectionStatus,
        merge: dict[str, object],
        result: ConnectivityResult,
        why: str,
    ) -> None:
        known = None
        if not result.ok:
            known = diagnose(
                str(result.details.get("reason") or ""), str(result.details.get("url") or "")
            )
        async with actions.atomic():
            current = await self.store.connections.get(record.id)
            if current is None or current.status is not record.status:
                return  # moved meanwhile: that move decides
            if target is ConnectionStatus.CONNECTED and not moved_by_server(current.metadata):
                return  # an operator took it over meanwhile
            try:
                updated, plan = await self.store.connections.transition(
                    record.id, target, Changes(merge_metadata=merge), expected=record.status
                )
            except (Conflict, InvalidTransition):
                return
            await actions.moved(
                plan.source,
                updated,
                plan,
                why=why,
                severity="success" if result.ok else "warning",
                probable_cause=known.probable_cause if known else "",
                suggested_fix=known.suggested_fix if known else "",
            )
        log.info(
            "%s connection %r moved from %s to %s: %s",
            record.kind,
            record.name,
            plan.source.name,
            updated.status.name,
            why,
        )


@asynccontextmanager
async def connection_health(
    store: Store,
    broker: Broker,
    policy: HealthPolicy,
    sources: SourceReport | None = None,
    restarts: TaskRestarts | None = None,
) -> AsyncIterator[HealthChecks]:
    """The health loop running in the background (a kept task) while the block runs."""
    checks = HealthChecks(store, broker, policy, sources)
    tasks = TaskOwner("connection-health", restarts)
    tasks.keep("health", checks.run)
    try:
        yield checks
    finally:
        await tasks.close()
