"""autoscaling/v1 HorizontalPodAutoscalers served from autoscaling/v2 storage.

The field mapping is the API reference's: v1's ``targetCPUUtilizationPercentage`` is
v2's Resource metric on ``cpu`` with a Utilization target.
"""

from __future__ import annotations

import orjson

from graphql_server.simulator import SimulatedCluster
from graphql_server.simulator.patching import MERGE_PATCH

V1 = {
    "apiVersion": "autoscaling/v1",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 4,
        "targetCPUUtilizationPercentage": 70,
    },
}
TARGET_70 = {"type": "Utilization", "averageUtilization": 70}
CPU_70 = [{"type": "Resource", "resource": {"name": "cpu", "target": TARGET_70}}]


def test_v1_writes_are_stored_as_v2_and_read_back_as_v1() -> None:
    cluster = SimulatedCluster("convert")
    v1 = cluster.resolve("autoscaling", "v1", "horizontalpodautoscalers")
    v2 = cluster.resolve("autoscaling", "v2", "horizontalpodautoscalers")
    entry = cluster.create(v1, "default", V1)
    stored = entry.obj
    assert stored["apiVersion"] == "autoscaling/v2"
    assert stored["spec"]["metrics"] == CPU_70
    assert "targetCPUUtilizationPercentage" not in stored["spec"]
    served = orjson.loads(entry.raw_as(v1.api_version, v1.storage_api_version))
    assert served["apiVersion"] == "autoscaling/v1"
    assert served["spec"] == V1["spec"]

    patched = cluster.patch(
        v1, "default", "web", MERGE_PATCH, {"spec": {"targetCPUUtilizationPercentage": 50}}
    )
    target = patched.obj["spec"]["metrics"][0]["resource"]["target"]
    assert target["averageUtilization"] == 50
    assert cluster.get(v2, "default", "web").obj["spec"]["maxReplicas"] == 4
