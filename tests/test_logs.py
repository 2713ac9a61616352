"""Logging: text and JSON lines carry the id of the cluster or connection they are about,
and a sync against a token-protected cluster never logs the token, at any level."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import orjson
import pytest

from graphql_server.broker import InProcessBroker
from graphql_server.errors import KubernetesError
from graphql_server.logs import JSONFormatter, TextFormatter
from graphql_server.simulator import SimulatedCluster
from graphql_server.store import Store
from graphql_server.sync.connecting import ClusterSource
from tests.sync.harness import converge, sync_service

CLUSTER_LOGGERS = ("graphql_server.kube.watching", "graphql_server.sync.clusters")


def record(**extra: str) -> logging.LogRecord:
    made = logging.makeLogRecord(
        {"name": "graphql_server.sync", "levelno": logging.INFO, "levelname": "INFO"}
    )
    made.msg, made.args = "watching %s", ("pods",)
    made.__dict__.update(extra)
    return made


def test_text_lines_end_with_the_ids_they_are_about() -> None:
    formatter = TextFormatter()
    line = formatter.format(record(cluster_id="c-1", resource_type="pods", other="x"))
    assert line.endswith("graphql_server.sync: watching pods [cluster_id=c-1 resource_type=pods]")
    assert formatter.format(record()).endswith("graphql_server.sync: watching pods")
    assert formatter.format(record(connection_id="k-9")).endswith("[connection_id=k-9]")


def test_json_lines_carry_the_ids_as_fields() -> None:
    entry = orjson.loads(JSONFormatter().format(record(cluster_id="c-1", connection_id="k-9")))
    assert entry["cluster_id"] == "c-1"
    assert entry["connection_id"] == "k-9"
    assert entry["message"] == "watching pods"


async def test_sync_logs_name_the_cluster_and_never_the_token(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = f"token-{uuid.uuid4().hex}"
    wrong = f"wrong-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)  # every logger, the libraries' included
    cluster = SimulatedCluster("sim", seed=4, token=token, bookmark_interval=0.3)
    cluster.seed_objects(150)
    store = await Store.open(database_url)
    try:
        async with cluster.serving() as running:
            kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
            assert token in kubeconfig.read_text()
            refused = tmp_path / "refused"
            refused.write_text(kubeconfig.read_text().replace(token, wrong))
            async with sync_service(store, InProcessBroker(), kubeconfig) as service:
                await converge(store, cluster)
                cluster.drop_watches()  # resumed: info lines from every watch loop
                cluster.forbid("secrets")
                cluster.expire_watches()  # relists: secrets answer 403, logged as a warning
                await logged(caplog, "secrets", logging.WARNING)
                cluster.allow("secrets")
                await service.supervisor.connect(ClusterSource("again", kubeconfig))
                with pytest.raises(KubernetesError):
                    await service.supervisor.connect(ClusterSource("refused", refused))
                await converge(store, cluster)
    finally:
        await store.close()

    records = caplog.records
    assert records
    for formatter in (TextFormatter(), JSONFormatter()):
        for entry in records:
            line = formatter.format(entry)
            assert token not in line
            assert wrong not in line
    assert token not in caplog.text

    about_cluster = [r for r in records if r.name in CLUSTER_LOGGERS]
    assert any(r.levelno >= logging.WARNING for r in about_cluster), "no 403 was logged"
    assert len(about_cluster) >= 10
    for entry in about_cluster:
        assert getattr(entry, "cluster_id", None) == cluster.uid, entry.getMessage()
        assert f"cluster_id={cluster.uid}" in TextFormatter().format(entry)
    connected = [r for r in records if "connected at" in r.getMessage()]
    assert connected
    assert all(getattr(r, "cluster_id", None) == cluster.uid for r in connected)


async def logged(caplog: pytest.LogCaptureFixture, resource_type: str, level: int) -> None:
    """Wait until a watch loop of ``resource_type`` has logged at ``level`` or above."""
    for _ in range(200):
        if any(
            getattr(r, "resource_type", None) == resource_type and r.levelno >= level
            for r in caplog.records
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{resource_type} never logged at {logging.getLevelName(level)}")
