"""The long-lived parts of ``serve`` besides the API: the sync, and the demo cluster.

Each component is an async context manager factory taking the app's services;
the app's lifespan enters them after the store and broker are up and leaves
them in reverse order.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from graphql_server.api.context import Services
from graphql_server.app import Component
from graphql_server.errors import ConfigurationError
from graphql_server.kube.config import kubeconfig_contexts, running_in_cluster
from graphql_server.settings import Settings
from graphql_server.simulator import SimulatedCluster
from graphql_server.sync.service import SyncService, sync_options
from graphql_server.sync.supervisor import ClusterSource

log = logging.getLogger(__name__)

DEMO_CLUSTER = "demo"


def cluster_sources(settings: Settings) -> list[ClusterSource]:
    """The clusters ``serve`` connects: named contexts, the current one, or the pod's own."""
    if settings.kubeconfig is None:
        if running_in_cluster():
            return [ClusterSource(name="in-cluster")]
        return []
    contexts = kubeconfig_contexts(settings.kubeconfig)
    names = {c.name for c in contexts}
    if settings.contexts:
        unknown = sorted(set(settings.contexts) - names)
        if unknown:
            raise ConfigurationError(f"no context {', '.join(unknown)} in {settings.kubeconfig}")
        chosen = list(settings.contexts)
    else:
        chosen = [c.name for c in contexts if c.current][:1]
        if not chosen:
            raise ConfigurationError(
                f"{settings.kubeconfig} has no current context; pass --context"
            )
    return [
        ClusterSource(name=name, kubeconfig=settings.kubeconfig, context=name) for name in chosen
    ]


def sync_component(settings: Settings, extra: list[ClusterSource] | None = None) -> Component:
    @asynccontextmanager
    async def component(services: Services) -> AsyncIterator[None]:
        sources = cluster_sources(settings) + list(extra or ())
        options = sync_options(settings)
        async with SyncService(services.store, services.broker, options, sources):
            yield

    return component


def demo_components(settings: Settings) -> tuple[Component, ...]:
    """A seeded, gently churning simulated cluster, and the sync that follows it."""
    cluster = SimulatedCluster(DEMO_CLUSTER, seed=1)
    kubeconfig = settings.effective_data_dir() / "demo-kubeconfig"
    source = ClusterSource(name=DEMO_CLUSTER, kubeconfig=kubeconfig, context=DEMO_CLUSTER)

    @asynccontextmanager
    async def simulator(services: Services) -> AsyncIterator[None]:
        cluster.seed_objects(settings.demo_objects)
        async with cluster.serving() as running:
            running.write_kubeconfig(kubeconfig, DEMO_CLUSTER)
            log.info("demo cluster serving at %s (kubeconfig %s)", running.url, kubeconfig)
            if settings.demo_churn > 0:
                await cluster.start_churn(settings.demo_churn)
            yield

    return (simulator, sync_component(settings, [source]))


def serve_components(settings: Settings) -> tuple[Component, ...]:
    if settings.demo:
        return demo_components(settings)
    return (sync_component(settings),)
