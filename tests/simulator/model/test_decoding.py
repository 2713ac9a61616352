"""Built-in objects whose values do not fit their fields' types are refused, as typed
decoding refuses them.

The apiserver decodes a built-in kind's JSON into its Go struct: a string where an
integer belongs, a number in a map of strings or an object where a list belongs is a
400 BadRequest naming the innermost struct and the field path the way Go's
``encoding/json`` does; null decodes into anything; ``resource.Quantity`` fields take
numbers as well as strings; untyped ``IntOrString`` fields take either.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphql_server.simulator import ApiError, SimulatedCluster
from graphql_server.simulator.patching import MERGE_PATCH


def deployment(**spec: Any) -> dict[str, Any]:
    container = {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [container]},
            },
            **spec,
        },
    }


def refusal(cluster: SimulatedCluster, obj: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as raised:
        cluster.create_object(obj)
    assert raised.value.status == 400
    assert raised.value.reason == "BadRequest"
    prefix = 'Deployment in version "v1" cannot be handled as a Deployment: json: '
    message = str(raised.value.args[0])
    assert message.startswith(prefix)
    return message[len(prefix) :]


def test_values_that_do_not_fit_their_fields_are_refused() -> None:
    cluster = SimulatedCluster("decoding")
    assert refusal(cluster, deployment(replicas="3")) == (
        "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int"
    )
    labelled = deployment()
    labelled["spec"]["template"]["metadata"]["labels"]["version"] = 2
    assert refusal(cluster, labelled) == (
        "cannot unmarshal number into Go struct field "
        "ObjectMeta.spec.template.metadata.labels of type string"
    )
    ported = deployment()
    ported["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": "80"}]
    assert refusal(cluster, ported) == (
        "cannot unmarshal string into Go struct field "
        "ContainerPort.spec.template.spec.containers.ports.containerPort of type int"
    )
    single = deployment()
    single["spec"]["template"]["spec"]["containers"] = {"name": "a", "image": "nginx"}
    assert refusal(cluster, single) == (
        "cannot unmarshal object into Go struct field "
        "PodSpec.spec.template.spec.containers of type []Container"
    )
    assert refusal(cluster, deployment(paused="yes")) == (
        "cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool"
    )


def test_quantities_null_and_int_or_string_decode() -> None:
    cluster = SimulatedCluster("decoding")
    obj = deployment(paused=None, strategy={"rollingUpdate": {"maxSurge": "25%",
                                                               "maxUnavailable": 1}})  # fmt: skip
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "limits": {"cpu": 1, "memory": "64Mi"}
    }
    created = cluster.create_object(obj)
    assert created["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == 1
    rtype = cluster.resolve_kind("apps/v1", "Deployment")
    with pytest.raises(ApiError) as raised:
        cluster.patch(rtype, "default", "web", MERGE_PATCH, {"spec": {"replicas": "two"}})
    assert raised.value.status == 400
    assert cluster.get_object("apps/v1", "Deployment", "web", "default")["spec"]["replicas"] == 1
