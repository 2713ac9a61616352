"""Running a simulator: ``run_simulator``, kubeconfigs and kubectl against it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson
import pytest
from kubernetes_asyncio import client

from graphql_server.simulator import run_simulator

from ...conftest import installed_kubectl
from ..helpers import Sim, api_client


async def test_run_simulator_until_cancelled(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "sim" / "kubeconfig"
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_simulator("127.0.0.1", 0, 800, 50.0, kubeconfig, 3, ready=ready),
        name="simulator-run-test",
    )
    try:
        url = await asyncio.wait_for(ready, 20)
        config = orjson.loads(kubeconfig.read_bytes())
        assert config["clusters"][0]["cluster"]["server"] == url
        async with await api_client(kubeconfig) as api:
            pods = await client.CoreV1Api(api).list_pod_for_all_namespaces()
            assert len(pods.items) > 50
            first = int(pods.metadata.resource_version)
            await asyncio.sleep(0.3)  # time passes on purpose: the simulator churns meanwhile
            again = await client.CoreV1Api(api).list_namespace()
            assert int(again.metadata.resource_version) > first
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_kubeconfig_merge(sim: Sim, tmp_path: Path) -> None:
    path = tmp_path / "config"
    sim.running.write_kubeconfig(path, "first")
    sim.running.write_kubeconfig(path, "second", merge=True)
    config = json.loads(path.read_text())
    assert [c["name"] for c in config["contexts"]] == ["first", "second"]
    assert config["current-context"] == "first"


async def test_kubectl_against_the_simulator(sim: Sim, tmp_path: Path) -> None:
    binary = installed_kubectl()

    async def kubectl(*args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            binary,
            "--kubeconfig",
            str(sim.kubeconfig),
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        return out.decode()

    pods = await kubectl("get", "pods", "-A")
    header = pods.splitlines()[0].split()
    assert header[:2] == ["NAMESPACE", "NAME"]
    some_pod = sim.cluster.stores["pods"].sorted_entries()[0]
    assert some_pod.name in pods
    assert len(pods.splitlines()) == sim.cluster.stores["pods"].count + 1
    groups = json.loads(await kubectl("get", "--raw", "/apis"))
    assert groups["kind"] == "APIGroupList"
    assert "apps" in [g["name"] for g in groups["groups"]]
    widgets = await kubectl("get", "widgets", "-n", "default", "-o", "name")
    assert "widget.example.com/widget-red" in widgets.split()
