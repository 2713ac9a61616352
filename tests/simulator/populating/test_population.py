"""Generated clusters and churn: realism, consistency and determinism."""

from __future__ import annotations

import asyncio
import base64
import types
from typing import Any

from kubernetes_asyncio.client import ApiClient

from graphql_server.simulator import (
    DECOY_IMAGE,
    GRAFANA_IMAGE,
    PROMETHEUS_IMAGE,
    Churn,
    SimulatedCluster,
    seed,
)


def objects(cluster: SimulatedCluster, key: str) -> list[dict[str, Any]]:
    return [e.obj for e in cluster.stores[key].sorted_entries()]


def fingerprint(cluster: SimulatedCluster) -> list[tuple[str, str, str, str, int]]:
    return [
        (key, e.namespace, e.name, e.uid, e.rv)
        for key, store in sorted(cluster.stores.items())
        for e in store.sorted_entries()
    ]


def test_seed_reaches_the_target_and_is_deterministic() -> None:
    first, second, other = (
        SimulatedCluster("a", seed=3),
        SimulatedCluster("a", seed=3),
        SimulatedCluster("a", seed=4),
    )
    summary = seed(first, objects=5000, seed=3)
    seed(second, objects=5000, seed=3)
    seed(other, objects=5000, seed=4)
    assert summary["objects"] == 5000
    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first) != fingerprint(other)
    for key in (
        "nodes",
        "pods",
        "deployments.apps",
        "replicasets.apps",
        "services",
        "configmaps",
        "secrets",
        "serviceaccounts",
        "namespaces",
        "widgets.example.com",
    ):
        assert summary["kinds"][key] > 0, key


def test_ownership_labels_and_selectors_are_consistent() -> None:
    cluster = SimulatedCluster("owners", seed=1)
    cluster.seed_objects(2000)
    by_uid = {e.uid: (key, e) for key, s in cluster.stores.items() for e in s.iter_entries()}
    deployments = {d["metadata"]["uid"]: d for d in objects(cluster, "deployments.apps")}
    replicasets = {r["metadata"]["uid"]: r for r in objects(cluster, "replicasets.apps")}
    for rs in replicasets.values():
        (owner,) = rs["metadata"]["ownerReferences"]
        assert owner["controller"] is True
        assert owner["uid"] in deployments
        assert by_uid[owner["uid"]][1].name == owner["name"]
        match = rs["spec"]["selector"]["matchLabels"]
        assert match.items() <= rs["spec"]["template"]["metadata"]["labels"].items()
    pods = objects(cluster, "pods")
    owned = 0
    for pod in pods:
        (owner,) = pod["metadata"]["ownerReferences"]
        if owner["kind"] != "ReplicaSet":
            continue
        owned += 1
        rs = replicasets[owner["uid"]]
        assert rs["metadata"]["namespace"] == pod["metadata"]["namespace"]
        assert rs["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert owned > 100
    for service in objects(cluster, "services"):
        selector = service["spec"]["selector"]
        selected = [
            p
            for p in pods
            if p["metadata"]["namespace"] == service["metadata"]["namespace"]
            and selector.items() <= p["metadata"]["labels"].items()
        ]
        assert selected, service["metadata"]["name"]
    for secret in objects(cluster, "secrets"):
        for value in secret.get("data", {}).values():
            base64.b64decode(value, validate=True)


def test_prometheus_grafana_and_the_decoy() -> None:
    cluster = SimulatedCluster("observability", seed=2)
    cluster.seed_objects(1000)
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s for s in objects(cluster, "services")
    }
    deployments = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d
        for d in objects(cluster, "deployments.apps")
    }

    def image(key: tuple[str, str]) -> str:
        return str(deployments[key]["spec"]["template"]["spec"]["containers"][0]["image"])

    prometheus = services[("monitoring", "metrics-store")]
    assert prometheus["metadata"]["labels"]["app.kubernetes.io/name"] == "prometheus"
    assert prometheus["spec"]["ports"][0]["port"] == 9090
    assert image(("monitoring", "metrics-store")) == PROMETHEUS_IMAGE
    grafana = services[("monitoring", "dashboards")]
    assert grafana["metadata"]["labels"]["app.kubernetes.io/name"] == "grafana"
    assert grafana["spec"]["ports"][0]["port"] == 3000
    assert image(("monitoring", "dashboards")) == GRAFANA_IMAGE
    decoy = services[("docs", "prometheus-notes")]
    assert decoy["metadata"]["labels"]["app.kubernetes.io/name"] != "prometheus"
    assert image(("docs", "prometheus-notes")) == DECOY_IMAGE
    named = [n for _, n in services if "prometheus" in n or "grafana" in n]
    assert named == ["prometheus-notes"]


async def test_seeded_objects_fit_the_typed_client_models() -> None:
    cluster = SimulatedCluster("models", seed=5)
    cluster.seed_objects(1500)
    async with ApiClient() as api:
        for key, store in cluster.stores.items():
            rtype = store.rtype
            if rtype.group == "example.com" or not store.count:
                continue
            prefix = "V2" if rtype.version == "v2" else "V1"
            model = "CoreV1Event" if key == "events" else prefix + rtype.kind
            for entry in store.iter_entries():
                api.deserialize(types.SimpleNamespace(data=entry.raw.decode()), model)


def test_churn_is_deterministic() -> None:
    runs = []
    for _ in range(2):
        cluster = SimulatedCluster("churny", seed=9)
        cluster.seed_objects(1500)
        churn = Churn(cluster, 0, seed=4)
        for _ in range(400):
            churn.step()
        runs.append(fingerprint(cluster))
        assert churn.applied == 400
    assert runs[0] == runs[1]


async def test_churn_runs_at_its_rate_and_stops() -> None:
    cluster = SimulatedCluster("rate", seed=9)
    cluster.seed_objects(1000)
    before = cluster.rv
    churn = await cluster.start_churn(200, seed=1)
    await asyncio.sleep(0.5)  # time passes on purpose: the churn's rate is what is measured
    await cluster.stop_churn()
    assert not churn.running
    changed = cluster.rv - before
    assert 40 <= changed <= 200
    await asyncio.sleep(0.1)  # time passes on purpose: a stopped churn changes nothing more
    assert cluster.rv == before + changed
    kinds = {e.type for e in cluster.history.since(before)}
    assert {"ADDED", "MODIFIED", "DELETED"} <= kinds
