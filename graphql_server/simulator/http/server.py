"""Putting a simulated cluster on HTTP, in-process.

Owns building the aiohttp application (authentication, the private ``/_sim`` routes and
the Kubernetes API catch-all), starting it on a host and port, and
:class:`RunningSimulator`, which tells where it listens and writes kubeconfigs for it.
Stopping ends every watch stream cleanly and stops churn the cluster owns.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from aiohttp import web

from graphql_server.simulator.http import admin
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.routes import ApiRoutes
from graphql_server.simulator.kubeconfig import kubeconfig_dict, write_kubeconfig

logger = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024
MAX_LINE = 1024 * 1024

ClusterT = TypeVar("ClusterT", bound=ClusterModel)


@dataclass(slots=True)
class RunningSimulator(Generic[ClusterT]):
    """A simulated cluster listening on ``host:port``."""

    cluster: ClusterT
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def kubeconfig(self, context_name: str | None = None) -> dict[str, Any]:
        return kubeconfig_dict(self.url, context_name or self.cluster.name, self.cluster.token)

    def write_kubeconfig(
        self, path: str | os.PathLike[str], context_name: str | None = None, *, merge: bool = False
    ) -> Path:
        """Write a kubeconfig for this cluster (JSON); ``merge`` adds to an existing one."""
        return write_kubeconfig(path, self.kubeconfig(context_name), merge=merge)


def build_app(cluster: ClusterModel) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    routes = ApiRoutes(cluster)
    admin.add_routes(app, cluster, routes)
    app.router.add_route("*", "/{tail:.*}", routes.handle)
    return app


@asynccontextmanager
async def serve(
    cluster: ClusterT, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningSimulator[ClusterT]]:
    runner = web.AppRunner(
        build_app(cluster),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=2.0,
        handler_cancellation=True,
        max_line_size=MAX_LINE,
        max_field_size=64 * 1024,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=512, reuse_address=True)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        running = RunningSimulator(cluster, host, int(bound))
        logger.info("simulated cluster %s serving at %s", cluster.name, running.url)
        yield running
    finally:
        await cluster.stop_churn()
        cluster.hub.unstall()
        cluster.hub.end_all()
        await runner.cleanup()
