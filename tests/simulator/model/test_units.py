"""Selectors, patches, history, continue tokens and validation, without HTTP."""

from __future__ import annotations

import pytest

from graphql_server.simulator.catalogue import NAME_DNS1035, NAME_LABEL, NAME_PATH, NAME_SUBDOMAIN
from graphql_server.simulator.crds import version_priority
from graphql_server.simulator.history import ADDED, History, WatchEvent
from graphql_server.simulator.listing import decode_continue, encode_continue
from graphql_server.simulator.objects import name_error
from graphql_server.simulator.patching import PatchError, json_patch, merge_patch
from graphql_server.simulator.selectors import FieldSelector, LabelSelector, SelectorError
from graphql_server.simulator.status import ApiError
from graphql_server.simulator.store import Entry

LABELS = {"app": "web", "tier": "front", "version": "3"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", True),
        ("app==web", True),
        ("app=db", False),
        ("app!=db", True),
        ("app!=web", False),
        ("missing!=x", True),
        ("app in (web, db)", True),
        ("app in (db)", False),
        ("app notin (db)", True),
        ("app notin (web,db)", False),
        ("missing notin (a)", True),
        ("tier", True),
        ("missing", False),
        ("!missing", True),
        ("!tier", False),
        ("app=web,tier=front", True),
        ("app=web, tier=back", False),
        ("version>2", True),
        ("version<3", False),
        ("example.com/role", False),
        ("", True),
    ],
)
def test_label_selector(selector: str, expected: bool) -> None:
    assert LabelSelector(selector).matches(LABELS) is expected


@pytest.mark.parametrize(
    "selector",
    [
        "app in (a",
        "app in ()",
        "=x",
        "app=a=b",
        "a,",
        "!",
        "bad key=x",
        "app in a",
        "-leading=x",
        "app=" + "v" * 64,
        "version>x",
        "app=(x)",
    ],
)
def test_bad_label_selectors(selector: str) -> None:
    with pytest.raises(SelectorError):
        LabelSelector(selector)


def test_empty_value_selects_empty_label() -> None:
    assert LabelSelector("app=").matches({"app": ""})
    assert not LabelSelector("app=").matches({"app": "x"})


def test_field_selector() -> None:
    pod = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1"}}
    assert FieldSelector("metadata.name=p", "Pod").matches(pod)
    assert FieldSelector("metadata.name==p,metadata.namespace=ns", "Pod").matches(pod)
    assert not FieldSelector("metadata.name!=p", "Pod").matches(pod)
    assert FieldSelector("spec.nodeName=n1", "Pod").matches(pod)
    assert FieldSelector("metadata.name=a\\,b", "Pod").requirements == [
        ("metadata.name", True, "a,b")
    ]
    assert FieldSelector("metadata.name=p").exact_name == "p"
    with pytest.raises(SelectorError):
        FieldSelector("spec.nodeName=n1", "ConfigMap")
    with pytest.raises(SelectorError):
        FieldSelector("metadata.name")


def test_merge_patch_rfc7386_examples() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    assert merge_patch(target, {"a": "z", "c": {"f": None}}) == {"a": "z", "c": {"d": "e"}}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}
    assert merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert merge_patch({"a": "b"}, {"a": {"b": None}}) == {"a": {}}
    assert merge_patch([1], {"a": 1}) == {"a": 1}


def test_json_patch_rfc6902() -> None:
    doc = {"foo": ["bar", "baz"], "x": {"y": 1}}
    result = json_patch(
        doc,
        [
            {"op": "add", "path": "/foo/1", "value": "qux"},
            {"op": "add", "path": "/foo/-", "value": "end"},
            {"op": "replace", "path": "/x/y", "value": 2},
            {"op": "move", "from": "/x", "path": "/moved"},
            {"op": "copy", "from": "/foo/0", "path": "/first"},
            {"op": "test", "path": "/first", "value": "bar"},
            {"op": "add", "path": "/a~1b", "value": 1},
            {"op": "remove", "path": "/foo/0"},
        ],
    )
    assert result == {"foo": ["qux", "baz", "end"], "moved": {"y": 2}, "first": "bar", "a/b": 1}
    assert doc == {"foo": ["bar", "baz"], "x": {"y": 1}}
    with pytest.raises(PatchError) as failed:
        json_patch(doc, [{"op": "test", "path": "/foo/0", "value": "nope"}])
    assert not failed.value.malformed
    with pytest.raises(PatchError) as malformed:
        json_patch(doc, {"op": "add"})
    assert malformed.value.malformed
    for bad in (
        [{"op": "remove", "path": "/foo/9"}],
        [{"op": "add", "path": "/foo/01", "value": 1}],
        [{"op": "move", "from": "/x", "path": "/x/y"}],
        [{"op": "add", "path": "x", "value": 1}],
    ):
        with pytest.raises(PatchError):
            json_patch(doc, bad)


def _entry(rv: int) -> Entry:
    return Entry({"metadata": {"name": f"o{rv}", "namespace": "ns"}}, rv)


def test_history_ring_and_floor() -> None:
    history = History(3)
    for rv in range(1, 6):
        history.append(WatchEvent(ADDED, "configmaps", _entry(rv), None))
    assert history.floor == 2
    assert [e.rv for e in history.since(2)] == [3, 4, 5]
    assert [e.rv for e in history.since(4)] == [5]
    assert history.since(5) == []
    history.compact(4)
    assert history.floor == 4
    assert [e.rv for e in history.since(4)] == [5]
    assert history.since(1)[0].line().startswith(b'{"type":"ADDED","object":{"metadata"')


def test_continue_token_round_trip() -> None:
    token = encode_continue(42, "ns", "name")
    assert decode_continue(token) == (42, ("ns", "name"))
    for bad in ("", "!!!", "bm90LWpzb24", encode_continue(1, "a", "b")[:-3]):
        with pytest.raises(ApiError) as error:
            decode_continue(bad)
        assert error.value.status == 400


def test_version_priority() -> None:
    versions = ["v1alpha1", "v2", "v1beta2", "v1", "v1beta1", "v10", "foo"]
    assert sorted(versions, key=version_priority) == [
        "v10",
        "v2",
        "v1",
        "v1beta2",
        "v1beta1",
        "v1alpha1",
        "foo",
    ]


def test_name_rules() -> None:
    assert name_error(NAME_SUBDOMAIN, "a.b-c") is None
    assert name_error(NAME_SUBDOMAIN, "A") is not None
    assert name_error(NAME_SUBDOMAIN, "a" * 254) is not None
    assert name_error(NAME_LABEL, "a.b") is not None
    assert name_error(NAME_DNS1035, "1abc") is not None
    assert name_error(NAME_DNS1035, "abc-1") is None
    assert name_error(NAME_PATH, "system:controller:x") is None
    assert name_error(NAME_PATH, "a/b") is not None
    assert name_error(NAME_PATH, "..") is not None
