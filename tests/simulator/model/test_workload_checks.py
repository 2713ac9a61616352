"""Pods and workloads are validated beyond their schema, as the apiserver validates them.

Per the API reference and the apiserver's validation: every container names an image
and a name unique in its pod (init containers included); a Deployment's, ReplicaSet's,
StatefulSet's or DaemonSet's selector (``matchLabels`` and ``matchExpressions``) must
select its own pod template; the same rules hold on updates, which then change nothing.
Each Status cause names the error type of its field error (``FieldValueRequired`` ...).
"""

from __future__ import annotations

from typing import Any

import pytest

from graphql_server.simulator import ApiError, SimulatedCluster
from graphql_server.simulator.patching import MERGE_PATCH


def pod(containers: list[dict[str, Any]], init: list[dict[str, Any]] | None = None) -> Any:
    spec: dict[str, Any] = {"containers": containers}
    if init is not None:
        spec["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"}, "spec": spec}  # fmt: skip


def stateful_set(selector: dict[str, Any], labels: dict[str, str]) -> Any:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "serviceName": "db",
            "selector": selector,
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "db", "image": "postgres:16"}]},
            },
        },
    }


def causes(cluster: SimulatedCluster, obj: Any) -> list[tuple[str, str]]:
    with pytest.raises(ApiError) as raised:
        cluster.create_object(obj)
    assert raised.value.status == 422
    details = raised.value.status_details or {}
    return [(c["field"], c["message"]) for c in details["causes"]]


def test_containers_need_an_image_and_a_name_of_their_own() -> None:
    cluster = SimulatedCluster("checks")
    found = causes(cluster, pod([{"name": "a"}, {"name": "b", "image": "x"}],
                                init=[{"name": "b", "image": "busybox"}]))  # fmt: skip
    assert found == [
        ("spec.containers[0].image", "Required value"),
        ("spec.containers[1].name", 'Duplicate value: "b"'),
    ]
    assert causes(cluster, pod([])) == [("spec.containers", "Required value")]
    created = cluster.create_object(pod([{"name": "a", "image": "nginx"}]))
    assert created["spec"]["containers"][0]["image"] == "nginx"


def test_a_selector_must_select_its_template() -> None:
    cluster = SimulatedCluster("checks")
    wrong = stateful_set(
        {"matchLabels": {"app": "db"},
         "matchExpressions": [{"key": "tier", "operator": "In", "values": ["data"]}]},
        {"app": "db", "tier": "web"},
    )  # fmt: skip
    assert causes(cluster, wrong) == [
        (
            "spec.template.metadata.labels",
            'Invalid value: map[string]string{"app":"db", "tier":"web"}: '
            "`selector` does not match template `labels`",
        )
    ]
    right = stateful_set({"matchLabels": {"app": "db"}}, {"app": "db", "tier": "web"})
    cluster.create_object(right)
    rtype = cluster.resolve_kind("apps/v1", "StatefulSet")
    patch = {"spec": {"template": {"metadata": {"labels": {"app": "cache"}}}}}
    with pytest.raises(ApiError) as raised:
        cluster.patch(rtype, "default", "db", MERGE_PATCH, patch)
    assert raised.value.status == 422
    stored = cluster.get_object("apps/v1", "StatefulSet", "db", "default")
    assert stored["spec"]["template"]["metadata"]["labels"]["app"] == "db"


def test_each_cause_carries_the_reason_of_its_error_type() -> None:
    # Status causes name apimachinery's field.ErrorType of each error.
    cluster = SimulatedCluster("checks")
    with pytest.raises(ApiError) as duplicate:
        cluster.create_object(pod([{"name": "a"}, {"name": "a", "image": "x"}]))
    details = duplicate.value.status_details or {}
    assert [c["reason"] for c in details["causes"]] == [
        "FieldValueRequired",
        "FieldValueDuplicate",
    ]
    mismatch = stateful_set({"matchLabels": {"app": "db"}}, {"app": "web"})
    with pytest.raises(ApiError) as raised:
        cluster.create_object(mismatch)
    details = raised.value.status_details or {}
    assert [c["reason"] for c in details["causes"]] == ["FieldValueInvalid"]
