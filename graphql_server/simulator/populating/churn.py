"""Churn: a steady, deterministic stream of changes to a running simulated cluster.

Owns :class:`Churn`, which applies operations at a target rate (pods created, relabelled
or given a new status, deleted; deployments scaled) from one seeded random generator, so
the same seed on the same cluster gives the same sequence. It runs as one named asyncio
task owned by whoever started it, who must ``await churn.stop()``; :meth:`Churn.burst`
applies a fixed number of operations as fast as the loop allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from graphql_server.simulator.objects import rfc3339
from graphql_server.simulator.populating.population import owner_reference
from graphql_server.simulator.state import ClusterState

logger = logging.getLogger(__name__)

_TICK = 0.02
_PHASES = ("Running", "Running", "Running", "Pending", "Succeeded")


class Churn:
    """Applies cluster changes at ``rate`` per second (``rate <= 0`` means flat out)."""

    def __init__(self, state: ClusterState, rate: float, seed: int = 0) -> None:
        self.state = state
        self.rate = rate
        self.rng = random.Random(seed)
        self.applied = 0
        self._created = 0
        self._task: asyncio.Task[None] | None = None
        pods = state.stores["pods"]
        self._pods: list[tuple[str, str]] = [(e.namespace, e.name) for e in pods.sorted_entries()]
        deployments = state.stores["deployments.apps"]
        self._deployments = [(e.namespace, e.name) for e in deployments.sorted_entries()]
        replicasets = state.stores["replicasets.apps"]
        self._replicasets = [(e.namespace, e.name) for e in replicasets.sorted_entries()]

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Churn:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"simulator-churn-{self.state.name}"
            )
        return self

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        done = 0
        try:
            while True:
                if self.rate <= 0:
                    for _ in range(200):
                        self.step()
                    await asyncio.sleep(0)
                    continue
                due = int((loop.time() - started) * self.rate) - done
                for _ in range(min(due, max(1, int(self.rate)))):
                    self.step()
                done += due
                await asyncio.sleep(_TICK)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("churn on %s stopped by an error", self.state.name)
            raise

    async def burst(self, events: int, batch: int = 200) -> int:
        """Apply ``events`` operations, yielding to the loop every ``batch``."""
        for index in range(events):
            self.step()
            if index % batch == batch - 1:
                await asyncio.sleep(0)
        return events

    # -- operations ------------------------------------------------------------------------

    def step(self) -> None:
        """Apply one operation (always exactly one committed change)."""
        roll = self.rng.random()
        for _ in range(8):
            if roll < 0.4 and self._update_pod():
                break
            if roll < 0.65 and self._create_pod():
                break
            if roll < 0.9 and self._delete_pod():
                break
            if self._scale_deployment():
                break
            roll = 0.5
        else:
            self.state.bump()
        self.applied += 1

    def _pick(self, items: list[tuple[str, str]]) -> int | None:
        return self.rng.randrange(len(items)) if items else None

    def _update_pod(self) -> bool:
        index = self._pick(self._pods)
        if index is None:
            return False
        namespace, name = self._pods[index]
        current = self.state.stores["pods"].get(namespace, name)
        if current is None:
            self._forget(index)
            return False
        obj = current.obj
        meta = obj["metadata"]
        if self.rng.random() < 0.5:
            meta["labels"] = {**(meta.get("labels") or {}), "churn.sim/tick": str(self.applied)}
        else:
            status = dict(obj.get("status") or {})
            status["phase"] = self.rng.choice(_PHASES)
            statuses = [dict(s) for s in status.get("containerStatuses") or []]
            for container in statuses:
                container["restartCount"] = int(container.get("restartCount", 0)) + 1
            status["containerStatuses"] = statuses
            obj["status"] = status
        self.state.upsert("pods", obj)
        return True

    def _create_pod(self) -> bool:
        index = self._pick(self._replicasets)
        if index is None:
            return False
        namespace, rs_name = self._replicasets[index]
        replicaset = self.state.stores["replicasets.apps"].get(namespace, rs_name)
        if replicaset is None:
            self._replicasets[index] = self._replicasets[-1]
            self._replicasets.pop()
            return False
        # A name still in use (made by an earlier churn of this cluster) is skipped: a new
        # pod is a new object, never a replacement under an existing name.
        pods = self.state.stores["pods"]
        self._created += 1
        while pods.get(namespace, f"{rs_name}-c{self._created}") is not None:
            self._created += 1
        name = f"{rs_name}-c{self._created}"
        rs_obj = replicaset.obj
        template = rs_obj.get("spec", {}).get("template", {})
        labels = dict(template.get("metadata", {}).get("labels") or {})
        uid = self.state.new_uid()  # one sequence per cluster: never a uid already used
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": uid,
                "creationTimestamp": rfc3339(),
                "labels": labels,
                "ownerReferences": [owner_reference("apps/v1", "ReplicaSet", rs_obj)],
            },
            "spec": dict(template.get("spec") or {}),
            "status": {"phase": "Pending"},
        }
        self.state.upsert("pods", obj)
        self._pods.append((namespace, name))
        return True

    def _delete_pod(self) -> bool:
        index = self._pick(self._pods)
        if index is None:
            return False
        namespace, name = self._pods[index]
        self._forget(index)
        return self.state.remove_object("pods", namespace, name) is not None

    def _forget(self, index: int) -> None:
        self._pods[index] = self._pods[-1]
        self._pods.pop()

    def _scale_deployment(self) -> bool:
        index = self._pick(self._deployments)
        if index is None:
            return False
        namespace, name = self._deployments[index]
        current = self.state.stores["deployments.apps"].get(namespace, name)
        if current is None:
            return False
        obj = current.obj
        meta = obj["metadata"]
        spec = obj.get("spec") or {}
        replicas = max(0, int(spec.get("replicas", 1)) + self.rng.choice((-1, 1)))
        spec["replicas"] = replicas
        meta["generation"] = int(meta.get("generation", 1)) + 1
        obj.update(metadata=meta, spec=spec)
        obj["status"] = {
            **(obj.get("status") or {}),
            "replicas": replicas,
            "observedGeneration": meta["generation"],
        }
        self.state.upsert("deployments.apps", obj)
        return True
