"""Small helpers shared by the simulator tests."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.dynamic import DynamicClient

from graphql_server.simulator import RunningSimulator, SimulatedCluster


async def raw(api: ApiClient, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """One request through the client's own transport; returns (status, decoded JSON)."""
    try:
        response = await api.call_api(
            path,
            method,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
            **kwargs,
        )
    except client.ApiException as exc:
        return exc.status, orjson.loads(exc.body) if exc.body else None
    body = await response.read()
    return response.status, orjson.loads(body) if body else None


def status_of(exc: client.ApiException) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(exc.body)
    assert body["kind"] == "Status"
    assert body["apiVersion"] == "v1"
    assert body["status"] == "Failure"
    assert body["code"] == exc.status
    return body


async def collect(
    func: Callable[..., Awaitable[Any]],
    *args: Any,
    until: Callable[[list[dict[str, Any]]], bool] | None = None,
    limit: float = 10.0,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Watch events (type plus raw object) until the stream ends or ``until`` holds."""
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(limit), watch.Watch() as stream:
        async for event in stream.stream(func, *args, **kwargs):
            events.append({"type": event["type"], "object": event["raw_object"]})
            if until is not None and until(events):
                stream.stop()
                break
    return events


async def eventually(check: Callable[[], Awaitable[bool]], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def names(items: list[Any]) -> list[str]:
    return [item["metadata"]["name"] for item in items]


def real_kubeconfig() -> str | None:
    path = os.environ.get("KUBECONFIG", "")
    return path if path and Path(path).is_file() else None


@dataclass
class Kube:
    api: ApiClient
    namespace: str
    kubeconfig: Path
    tmp_path: Path
    cluster: SimulatedCluster | None = None
    running: RunningSimulator | None = None

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def extensions(self) -> client.ApiextensionsV1Api:
        return client.ApiextensionsV1Api(self.api)

    async def dynamic(self) -> DynamicClient:
        cache = self.tmp_path / f"discovery-{uuid.uuid4().hex}.json"
        return await DynamicClient(self.api, cache_file=str(cache))

    def simulator(self) -> SimulatedCluster:
        if self.cluster is None:
            pytest.skip("needs the simulator (running against a real cluster)")
        return self.cluster


async def api_client(kubeconfig: Path) -> ApiClient:
    cfg = Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    return ApiClient(cfg)


@dataclass
class Sim:
    cluster: SimulatedCluster
    running: RunningSimulator
    api: ApiClient
    kubeconfig: Path

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)
