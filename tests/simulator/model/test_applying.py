"""Server-side apply and field ownership on the model, as the SSA documentation states.

An applier owns what its configuration sets; fields it stops applying are removed
unless another manager owns them too; updates take the fields they change; a
conflicting apply changes nothing; ``force`` is for apply patches only and an apply
must name its manager.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphql_server.simulator import ApiError, SimulatedCluster
from graphql_server.simulator.patching import APPLY_PATCH, MERGE_PATCH

CONFIG: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "namespace": "default", "labels": {"team": "a"}},
    "data": {"one": "1", "two": "2"},
}


def owners(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{m['manager']}/{m['operation']}": m["fieldsV1"] for m in obj["metadata"]["managedFields"]
    }


def apply(cluster: SimulatedCluster, config: dict[str, Any], manager: str, **kw: Any) -> Any:
    rtype = cluster.types["configmaps"]
    return cluster.patch(
        rtype, "default", "cfg", APPLY_PATCH, config, field_manager=manager, **kw
    ).obj


def test_fields_no_longer_applied_are_removed_unless_shared() -> None:
    cluster = SimulatedCluster("ssa")
    created = apply(cluster, CONFIG, "a")
    assert owners(created) == {"a/Apply": {
        "f:data": {"f:one": {}, "f:two": {}},
        "f:metadata": {"f:labels": {"f:team": {}}},
    }}  # fmt: skip
    # Manager b applies the same value of data.two: shared ownership, no conflict.
    apply(cluster, {**CONFIG, "metadata": {"name": "cfg"}, "data": {"two": "2"}}, "b")
    smaller = {**CONFIG, "metadata": {"name": "cfg"}, "data": {"one": "1"}}
    after = apply(cluster, smaller, "a")
    # a dropped labels (nobody else owns them: removed) and two (b owns it: kept).
    assert "labels" not in after["metadata"]
    assert after["data"] == {"one": "1", "two": "2"}


def test_conflicts_change_nothing_and_force_takes_over() -> None:
    cluster = SimulatedCluster("ssa")
    apply(cluster, CONFIG, "a")
    rv = cluster.get_object("v1", "ConfigMap", "cfg", "default")["metadata"]["resourceVersion"]
    other = {**CONFIG, "metadata": {"name": "cfg"}, "data": {"one": "uno"}}
    with pytest.raises(ApiError) as raised:
        apply(cluster, other, "b")
    assert raised.value.status == 409
    assert raised.value.status_details is not None
    [cause] = raised.value.status_details["causes"]
    assert cause == {"reason": "FieldManagerConflict",
                     "message": 'conflict with "a" using v1', "field": ".data.one"}  # fmt: skip
    stored = cluster.get_object("v1", "ConfigMap", "cfg", "default")
    assert stored["metadata"]["resourceVersion"] == rv
    forced = apply(cluster, other, "b", force=True)
    assert forced["data"]["one"] == "uno"
    assert owners(forced)["b/Apply"] == {"f:data": {"f:one": {}}}
    assert "f:one" not in owners(forced)["a/Apply"]["f:data"]


def test_updates_take_the_fields_they_change() -> None:
    cluster = SimulatedCluster("ssa")
    apply(cluster, CONFIG, "a")
    rtype = cluster.types["configmaps"]
    patched = cluster.patch(
        rtype, "default", "cfg", MERGE_PATCH, {"data": {"two": "dos"}}, field_manager="editor"
    ).obj
    assert owners(patched)["editor/Update"] == {"f:data": {"f:two": {}}}
    assert owners(patched)["a/Apply"]["f:data"] == {"f:one": {}}
    # Re-applying the old value now conflicts with the editor.
    with pytest.raises(ApiError) as raised:
        apply(cluster, CONFIG, "a")
    assert 'conflict with "editor"' in str(raised.value)


def test_apply_needs_a_manager_and_force_needs_apply() -> None:
    cluster = SimulatedCluster("ssa")
    apply(cluster, CONFIG, "a")
    rtype = cluster.types["configmaps"]
    with pytest.raises(ApiError) as raised:
        cluster.patch(rtype, "default", "cfg", APPLY_PATCH, CONFIG)
    assert raised.value.status == 422
    with pytest.raises(ApiError) as raised:
        cluster.patch(rtype, "default", "cfg", MERGE_PATCH, {"data": {}}, force=True)
    assert raised.value.status == 422
