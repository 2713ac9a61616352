"""The ``graphql-server simulate`` verb: one seeded, churning simulator until cancelled.

Owns :func:`run_simulator`, which builds a :class:`SimulatedCluster`, seeds it, serves
it, writes its kubeconfig, optionally churns it, and cleans all of that up when the
calling task is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import os

from graphql_server.simulator.cluster import SimulatedCluster

logger = logging.getLogger(__name__)


async def run_simulator(
    host: str = "127.0.0.1",
    port: int = 0,
    objects: int = 1000,
    churn: float = 0.0,
    kubeconfig_out: str | os.PathLike[str] | None = None,
    seed: int = 0,
    *,
    name: str = "simulated",
    token: str | None = None,
    context_name: str | None = None,
    ready: asyncio.Future[str] | None = None,
) -> None:
    """Serve a simulated cluster until cancelled.

    ``churn`` is events per second (0 for none). ``ready``, when given, receives the
    server's URL once it listens (useful when ``port`` is 0).
    """
    cluster = SimulatedCluster(name, seed=seed, token=token)
    summary = cluster.seed_objects(objects, seed)
    async with cluster.serving(host, port) as running:
        logger.info("seeded %s with %d objects", name, summary["objects"])
        if kubeconfig_out is not None:
            path = running.write_kubeconfig(kubeconfig_out, context_name)
            logger.info("kubeconfig for %s written to %s", name, path)
        if churn > 0:
            await cluster.start_churn(churn, seed)
        if ready is not None and not ready.done():
            ready.set_result(running.url)
        try:
            await asyncio.Event().wait()
        finally:
            await cluster.stop_churn()
