"""The long-lived parts of ``serve`` besides the API: the sync, and the demo cluster.

Each component is an async context manager factory taking the app's services;
the app's lifespan enters them after the store and broker are up and leaves
them in reverse order. Which sync ``serve`` runs follows from its settings: with
``--nats-url`` the NATS broker ``serve_broker`` builds is handed to the sync
component, which then runs the scale-out sync on it; without, the sync of one
process.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from graphql_server.api.context import Services
from graphql_server.app import Component
from graphql_server.broker.client import NatsClient
from graphql_server.broker.nats import NatsBroker, NatsOptions
from graphql_server.errors import ConfigurationError
from graphql_server.kube.config import check_context, kubeconfig_contexts, running_in_cluster
from graphql_server.settings import Settings
from graphql_server.store.identity import server_id_for
from graphql_server.sync.connecting import ClusterSource
from graphql_server.sync.scaleout.agent import Agent
from graphql_server.sync.scaleout.replica import ScaleOutOptions, holder_name, scale_out_sync
from graphql_server.sync.service import SyncService, sync_options
from graphql_server.tasks import TaskRestarts

log = logging.getLogger(__name__)

DEMO_CLUSTER = "demo"


def cluster_sources(settings: Settings) -> list[ClusterSource]:
    """The clusters ``serve`` connects: named contexts, the current one, or the pod's own."""
    if settings.kubeconfig is None:
        if running_in_cluster():
            return [ClusterSource(name="in-cluster")]
        return []
    contexts = kubeconfig_contexts(settings.kubeconfig)
    names = [c.name for c in contexts]
    if settings.contexts:
        for wanted in settings.contexts:
            check_context(settings.kubeconfig, names, wanted)
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


def sync_component(
    settings: Settings,
    extra: list[ClusterSource] | None = None,
    nats: NatsBroker | None = None,
) -> Component:
    """The sync: scale-out on ``nats`` (the app's broker, from ``serve_broker``) when
    given, else the sync of one process."""

    @asynccontextmanager
    async def component(services: Services) -> AsyncIterator[SyncService]:
        sources = cluster_sources(settings) + list(extra or ())
        options = sync_options(settings)
        if nats is not None:
            service = scale_out_sync(
                services.store,
                nats,
                options,
                sources,
                scale_out=scale_out_options(settings),
                holder=holder_name(f"serve {server_id_for(settings)}"),
                restarts=services.restarts,
            )
        else:
            service = SyncService(
                services.store, services.broker, options, sources, restarts=services.restarts
            )
        async with service:
            yield service  # the app's metrics read it

    return component


def scale_out_options(settings: Settings) -> ScaleOutOptions:
    return ScaleOutOptions(
        prefix=settings.nats_prefix,
        lease_ttl=settings.lease_ttl,
        operation_retention=settings.nats_operation_retention,
        outbox_bytes=settings.nats_outbox_mb * 1024 * 1024,
    )


async def check_broker(settings: Settings) -> None:
    """With ``--nats-url``: NATS answers (within the broker's 30 s), so that a server that
    could not run writes nothing; ``BrokerUnavailable`` otherwise."""
    if not settings.nats_url:
        return
    client = NatsClient(settings.nats_url, name="graphql-server start-up check")
    try:
        await client.connect()
    finally:
        await client.close()


def serve_broker(settings: Settings, restarts: TaskRestarts | None = None) -> NatsBroker | None:
    """The NATS JetStream broker when ``--nats-url`` is given (else the app's in-process one);
    its kept tasks' restarts are counted in ``restarts`` (the app's)."""
    if not settings.nats_url:
        return None
    options = NatsOptions(
        prefix=settings.nats_prefix,
        outbox_bytes=settings.nats_outbox_mb * 1024 * 1024,
        event_retention=settings.nats_event_retention,
    )
    return NatsBroker(
        settings.nats_url,
        options,
        name=f"graphql-server {server_id_for(settings)}",
        restarts=restarts,
    )


def agent_for(settings: Settings) -> Agent:
    """The discovery agent of ``graphql-server agent``."""
    if not settings.nats_url:
        raise ConfigurationError("the agent publishes to NATS: pass --nats-url")
    sources = cluster_sources(settings)
    if not sources:
        raise ConfigurationError("the agent has no cluster to watch: pass --kubeconfig")
    return Agent(settings.nats_url, sources, sync_options(settings), scale_out_options(settings))


def demo_components(settings: Settings, nats: NatsBroker | None = None) -> tuple[Component, ...]:
    """A seeded, gently churning simulated cluster, and the sync that follows it."""
    from graphql_server.simulator import SimulatedCluster  # only the demo pays for it

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

    return (simulator, sync_component(settings, [source], nats))


def serve_components(settings: Settings, nats: NatsBroker | None = None) -> tuple[Component, ...]:
    """``serve``'s components; ``nats``: the broker ``serve_broker`` built for ``--nats-url``."""
    if settings.demo:
        return demo_components(settings, nats)
    return (sync_component(settings, nats=nats),)
