"""Strategic merge patch against the built-in schemas, case by case.

Each expectation is the documented behaviour of the Kubernetes strategic merge patch
(community docs, "strategic-merge-patch.md"): merge keys per field, the ``$patch``,
``$retainKeys``, ``$setElementOrder`` and ``$deleteFromPrimitiveList`` directives, and
lists without a merge strategy replaced whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphql_server.simulator.patching import PatchError
from graphql_server.simulator.schemas.walking import Node, builtin_root
from graphql_server.simulator.strategic import strategic_merge_patch


def pod_schema() -> Node:
    node = builtin_root("v1", "Pod")
    assert node is not None
    return node


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}, "finalizers": ["x", "y"]},
        "spec": {
            "containers": [
                {"name": "app", "image": "app:1", "ports": [{"containerPort": 80}],
                 "env": [{"name": "A", "value": "1"}]},
                {"name": "side", "image": "side:1"},
            ],
            "tolerations": [{"key": "k1", "operator": "Exists"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }  # fmt: skip
    base["spec"].update(spec)
    return base


def patched(patch: dict[str, Any], target: dict[str, Any] | None = None) -> dict[str, Any]:
    result = strategic_merge_patch(target or pod(), patch, pod_schema())
    assert isinstance(result, dict)
    return result


def names(items: list[dict[str, Any]], key: str = "name") -> list[Any]:
    return [item[key] for item in items]


def test_containers_ports_and_env_merge_by_their_keys() -> None:
    result = patched({"spec": {"containers": [{
        "name": "app",
        "ports": [{"containerPort": 443}, {"containerPort": 80, "name": "http"}],
        "env": [{"name": "B", "value": "2"}],
    }]}})  # fmt: skip
    app, side = result["spec"]["containers"]
    assert side == {"name": "side", "image": "side:1"}
    assert app["image"] == "app:1"
    assert app["ports"] == [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]
    assert names(app["env"]) == ["A", "B"]


def test_new_elements_are_appended_and_deleted_ones_removed() -> None:
    result = patched({"spec": {"containers": [
        {"name": "extra", "image": "extra:1"}, {"name": "side", "$patch": "delete"}
    ]}})  # fmt: skip
    assert names(result["spec"]["containers"]) == ["app", "extra"]


def test_list_replace_directive() -> None:
    result = patched(
        {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "o:1"}]}}
    )
    assert result["spec"]["containers"] == [{"name": "only", "image": "o:1"}]


def test_lists_without_a_merge_strategy_are_replaced() -> None:
    result = patched({"spec": {"tolerations": [{"key": "k2", "operator": "Exists"}]}})
    assert result["spec"]["tolerations"] == [{"key": "k2", "operator": "Exists"}]


def test_map_directives_and_null() -> None:
    replaced = patched({"metadata": {"labels": {"$patch": "replace", "c": "3"}}})
    assert replaced["metadata"]["labels"] == {"c": "3"}
    deleted = patched({"metadata": {"labels": {"$patch": "delete"}}})
    assert "labels" not in deleted["metadata"]
    nulled = patched({"metadata": {"labels": {"a": None}}})
    assert nulled["metadata"]["labels"] == {"b": "2"}


def test_primitive_lists_with_merge_strategy_are_unions() -> None:
    result = patched({"metadata": {"finalizers": ["z", "x"]}})
    assert result["metadata"]["finalizers"] == ["x", "y", "z"]
    removed = patched({"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}})
    assert removed["metadata"]["finalizers"] == ["y"]


def test_set_element_order() -> None:
    result = patched({"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "app"}]}})
    assert names(result["spec"]["containers"]) == ["side", "app"]


def test_retain_keys_clears_the_other_members_of_a_union() -> None:
    result = patched({"spec": {"volumes": [
        {"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/d"}}
    ]}})  # fmt: skip
    assert result["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/d"}}]


def test_an_element_without_its_merge_key_is_refused() -> None:
    with pytest.raises(PatchError, match="merge key"):
        patched({"spec": {"containers": [{"image": "nameless"}]}})


def test_the_target_is_not_mutated() -> None:
    target = pod()
    before = repr(target)
    patched({"spec": {"containers": [{"name": "app", "image": "app:2"}]}}, target)
    assert repr(target) == before
