"""The simulated cluster as the rest of the project uses it.

Owns :class:`SimulatedCluster`: a :class:`ClusterState` plus its settings (name, seed,
bearer token, bookmark interval, watch timeout), its request faults, the fault hooks on
watch streams and history, the churn it owns when started through it, convenience
object access by apiVersion/kind, and :meth:`SimulatedCluster.serving` to put it on
HTTP. Everything here is synchronous except serving and stopping churn.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from graphql_server.simulator.faults import Faults
from graphql_server.simulator.history import error_line
from graphql_server.simulator.http.server import RunningSimulator, serve
from graphql_server.simulator.populating import seeding
from graphql_server.simulator.populating.churn import Churn
from graphql_server.simulator.state import ClusterState
from graphql_server.simulator.status import too_old


class SimulatedCluster(ClusterState):
    """One simulated Kubernetes cluster: state, settings, faults and serving."""

    def __init__(
        self,
        name: str = "simulated",
        *,
        seed: int = 0,
        token: str | None = None,
        history_size: int = 10_000,
        bookmark_interval: float = 5.0,
        watch_timeout: float = 1800.0,
    ) -> None:
        super().__init__(name=name, seed=seed, history_size=history_size)
        self.token = token
        self.bookmark_interval = bookmark_interval
        self.watch_timeout = watch_timeout
        self.faults = Faults()
        self.churn: Churn | None = None

    @property
    def uid(self) -> str:
        """The cluster's identity: the uid of its kube-system namespace."""
        return self.get(self.types["namespaces"], "", "kube-system").uid

    # -- population ------------------------------------------------------------------------

    def seed_objects(self, objects: int = 1000, seed: int | None = None) -> dict[str, Any]:
        return seeding.seed(self, objects=objects, seed=seed)

    async def start_churn(self, rate: float, seed: int | None = None) -> Churn:
        """Start (or restart) the churn this cluster owns; ``stop_churn`` ends it."""
        await self.stop_churn()
        self.churn = Churn(self, rate, self.seed if seed is None else seed).start()
        return self.churn

    async def churn_burst(self, events: int, seed: int) -> int:
        """Apply ``events`` churn operations at once (no background task); return how many."""
        return await Churn(self, 0, seed).burst(events)

    async def stop_churn(self) -> None:
        churn, self.churn = self.churn, None
        if churn is not None:
            await churn.stop()

    # -- objects by apiVersion/kind --------------------------------------------------------

    def create_object(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create ``obj`` with the same admission checks as a POST; returns the stored copy."""
        rtype = self.resolve_kind(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        namespace = str((obj.get("metadata") or {}).get("namespace") or "")
        return self.create(rtype, namespace, obj).obj

    def get_object(
        self, api_version: str, kind: str, name: str, namespace: str = ""
    ) -> dict[str, Any]:
        return self.get(self.resolve_kind(api_version, kind), namespace, name).obj

    def delete_object(self, api_version: str, kind: str, name: str, namespace: str = "") -> None:
        self.delete(self.resolve_kind(api_version, kind), namespace, name)

    # -- fault hooks -----------------------------------------------------------------------

    def compact_history(self) -> int:
        """Forget all history: resuming a watch or list from any older version gets 410."""
        self.history.compact(self.rv)
        self.snapshots.clear()
        return self.rv

    def expire_watches(self) -> int:
        """End every watch with a 410 ERROR event; resuming from what they saw gets 410."""
        rv = self.bump()
        self.history.compact(rv)
        self.snapshots.clear()
        return self.hub.end_all(error_line(too_old(rv - 1, rv).status_object()))

    def drop_watches(self) -> int:
        """Close every watch connection abruptly (no final chunk)."""
        return self.hub.drop_all()

    def stall_watches(self) -> None:
        """Keep watch connections open but send nothing until :meth:`unstall_watches`."""
        self.hub.stall()

    def unstall_watches(self) -> None:
        self.hub.unstall()

    def inject_error(
        self,
        resource: str,
        status: int = 500,
        count: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Fail requests to ``resource`` (``plural.group`` or ``*``) with ``status``.

        ``count`` requests, or until :meth:`clear_errors` when None. 429 carries
        ``Retry-After`` (default 1 s).
        """
        self.faults.inject_error(resource, status, count, retry_after)

    def clear_errors(self, resource: str | None = None) -> None:
        self.faults.clear_errors(resource)

    def set_latency(self, seconds: float, resource: str = "*") -> None:
        """Delay requests to ``resource`` by ``seconds`` (0 removes the delay)."""
        self.faults.set_latency(seconds, resource)

    def forbid(self, resource: str) -> None:
        """Answer 403 Forbidden to every request on ``resource`` until :meth:`allow`."""
        self.faults.forbid(resource)

    def allow(self, resource: str) -> None:
        self.faults.allow(resource)

    def clear_faults(self) -> None:
        self.faults.clear()
        self.unstall_watches()

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uid": self.uid,
            "resourceVersion": self.rv,
            "historyFloor": self.history.floor,
            "historyEvents": len(self.history),
            "objects": seeding.object_count(self),
            "kinds": {k: s.count for k, s in self.stores.items() if s.count},
            "watches": self.hub.count(),
            "watchesStalled": self.hub.stalled,
            "faults": self.faults.summary(),
            "churn": None
            if self.churn is None
            else {
                "rate": self.churn.rate,
                "applied": self.churn.applied,
                "running": self.churn.running,
            },
        }

    # -- serving ---------------------------------------------------------------------------

    def serving(
        self, host: str = "127.0.0.1", port: int = 0
    ) -> AbstractAsyncContextManager[RunningSimulator[SimulatedCluster]]:
        """Serve the Kubernetes API on ``host:port`` (0 picks a free port) while inside."""
        return serve(self, host, port)
