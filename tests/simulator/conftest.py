"""Fixtures for the simulator tests.

``kube`` yields a Kubernetes API client and a fresh namespace, from a simulated cluster
served in-process or, when ``KUBECONFIG`` names an existing file, from that real
cluster; tests that need the simulator itself call ``kube.simulator()``, which skips
against a real cluster. ``sim`` is a served simulated cluster for simulator-only tests.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kubernetes_asyncio import client

from graphql_server.simulator import SimulatedCluster

from .helpers import Kube, Sim, api_client, real_kubeconfig


async def _with_namespace(kube: Kube) -> AsyncIterator[Kube]:
    await kube.core.create_namespace({"metadata": {"name": kube.namespace}})
    try:
        yield kube
    finally:
        if kube.cluster is None:
            with contextlib.suppress(client.ApiException):
                await kube.core.delete_namespace(kube.namespace)


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[Kube]:
    namespace = f"contract-{uuid.uuid4().hex[:8]}"
    real = real_kubeconfig()
    if real is not None:
        async with await api_client(Path(real)) as api:
            async for ready in _with_namespace(Kube(api, namespace, Path(real), tmp_path)):
                yield ready
        return
    cluster = SimulatedCluster("contract", seed=7, bookmark_interval=0.2)
    cluster.seed_objects(300)
    async with cluster.serving() as running:
        path = running.write_kubeconfig(tmp_path / "kubeconfig.json")
        async with await api_client(path) as api:
            kube = Kube(api, namespace, path, tmp_path, cluster, running)
            async for ready in _with_namespace(kube):
                yield ready


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Sim]:
    cluster = SimulatedCluster("faulty", seed=11, bookmark_interval=0.2)
    cluster.seed_objects(500)
    async with cluster.serving() as running:
        path = running.write_kubeconfig(tmp_path / "kubeconfig.json")
        async with await api_client(path) as api:
            yield Sim(cluster, running, api, path)
