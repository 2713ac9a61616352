"""Loading definition documents: our format, Meshery files, and precise rejections."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphql_server.errors import BadInput
from graphql_server.registry import LoadResult, Registry, Source, load, load_many

from .samples import (
    KEDA_SVG,
    KEDA_SVG_PLAIN,
    SCALED_OBJECT_SCHEMA,
    meshery_component,
    meshery_model,
    meshery_pod_component,
    native_model,
)


def test_native_document_with_defaults_filled_in() -> None:
    result = load(orjson.dumps(native_model(priority=7)))
    assert result.ok
    (model,) = result.models
    assert (model.name, model.version, model.priority) == ("widgets", "1.0.0", 7)
    assert model.source is Source.IMPORTED
    assert model.category.name == "App Definition and Development"
    (widget,) = model.components
    assert widget.display_name == "Widget"
    assert widget.group == "example.com"
    assert widget.version == "v1"
    assert widget.styles.primary_color == "#00897B"  # inherited from the model
    assert widget.styles.svg_color.startswith("<svg")
    assert widget.styles.svg_white.startswith("<svg")


def test_a_list_of_documents_and_a_full_component() -> None:
    schema = {"type": "object", "properties": {"size": {"type": "integer"}}}
    second = native_model(
        "gadgets",
        components=[
            {
                "apiVersion": "gadgets.example.com/v1beta2",
                "kind": "Gadget",
                "displayName": "Gizmo",
                "namespaced": False,
                "description": "A gadget.",
                "schema": schema,
                "styles": {
                    "primaryColor": "#abc",
                    "secondaryColor": "#AABBCCDD",
                    "shape": "ellipse",
                    "svgColor": KEDA_SVG,
                    "svgWhite": KEDA_SVG,
                },
            }
        ],
    )
    result = load([native_model(), second])
    assert result.ok
    gadget = result.models[1].components[0]
    assert gadget.display_name == "Gizmo"
    assert gadget.namespaced is False
    assert gadget.schema_document() == schema
    assert gadget.styles.shape == "ellipse"
    assert gadget.styles.svg_color == KEDA_SVG_PLAIN


def test_meshery_model_and_component_files_import_together() -> None:
    result = load_many(
        [
            ("keda/model.json", orjson.dumps(meshery_model())),
            ("keda/components/ScaledObject.json", orjson.dumps(meshery_component())),
            (
                "keda/components/ScaledJob.json",
                orjson.dumps(meshery_component("ScaledJob", displayName="Scaled Job")),
            ),
        ]
    )
    assert result.ok, result.rejected
    (model,) = result.models
    assert (model.name, model.version, model.display_name) == ("keda", "2.14.0", "KEDA")
    assert model.category.name == "Orchestration & Management"
    assert model.styles.primary_color == "#326CE5"
    assert model.styles.secondary_color == "#00D3A9"
    assert model.styles.svg_color == KEDA_SVG_PLAIN
    assert model.styles.shape == "circle"
    scaled = model.component("keda.sh/v1alpha1", "ScaledObject")
    assert scaled is not None
    assert scaled.display_name == "Scaled Object"
    assert scaled.namespaced is True
    assert scaled.styles.primary_color == "#2F61D4"
    assert scaled.schema_document() == SCALED_OBJECT_SCHEMA
    assert model.component("keda.sh/v1alpha1", "ScaledJob") is not None

    registry = Registry.with_builtins()
    registry.load_many([("c.json", orjson.dumps(meshery_component()))])
    resolved = registry.resolve("keda.sh/v1alpha1", "ScaledObject")
    assert resolved is not None
    assert resolved.model.name == "keda"


def test_meshery_component_alone_brings_its_model_and_overrides_a_builtin() -> None:
    registry = Registry.with_builtins()
    result = registry.load(meshery_pod_component())
    assert result.ok, result.rejected
    resolved = registry.resolve("v1", "Pod")
    assert resolved is not None
    assert resolved.model.source is Source.IMPORTED
    assert (resolved.model.name, resolved.model.version) == ("kubernetes", "v1.30.0")
    assert resolved.component.display_name == "Pod (Meshery)"
    assert resolved.component.schema_document() == {"type": "object"}
    assert resolved.model.styles.svg_color.startswith("<svg")  # empty Meshery icon: drawn one


def _mutate(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    holder: Any = doc
    for part in parents:
        holder = holder[int(part)] if isinstance(holder, list) else holder[part]
    if value is _DELETE:
        del holder[last]
    elif isinstance(holder, list):
        holder[int(last)] = value
    else:
        holder[last] = value
    return doc


_DELETE = object()

MALFORMED_NATIVE = [
    ("components.0.kind", _DELETE, "components[0].kind", "required"),
    ("components.0.kind", 42, "components[0].kind", "expected a string, got number"),
    ("components.0.kind", "has space", "components[0].kind", "is not a kind"),
    ("components.0.apiVersion", "example.com/1", "components[0].apiVersion", "apiVersion"),
    ("components.0.namespaced", "yes", "components[0].namespaced", "expected a boolean"),
    ("styles.primaryColor", "blue", "styles.primaryColor", "#RRGGBB"),
    ("styles.primaryColor", "#12345", "styles.primaryColor", "#RRGGBB"),
    ("styles.svgColor", "<!DOCTYPE svg [<!ENTITY x 'y'>]><svg/>", "styles.svgColor", "DTD"),
    ("styles.svgWhite", "<svg", "styles.svgWhite", "not well-formed"),
    ("styles.svgWhite", "icons/kubernetes.svg", "styles.svgWhite", "built-in data"),
    ("styles.primaryColour", "#fff", "styles.primaryColour", "unknown field"),
    ("priority", "high", "priority", "expected an integer, got string"),
    ("priority", True, "priority", "expected an integer, got boolean"),
    ("name", "", "name", "is not a name"),
    ("version", _DELETE, "version", "required"),
    ("components", {}, "components", "expected an array, got object"),
    ("components", _DELETE, "components", "required"),
    ("components.0", "Widget", "components[0]", "expected an object, got string"),
    ("components.0.schema", "{not json", "components[0].schema", "not valid JSON"),
    ("components.0.schema", [1], "components[0].schema", "expected a JSON schema object"),
    ("schemaVersion", "registry.graphql-server/v9", "schemaVersion", "unknown schemaVersion"),
    ("schemaVersion", _DELETE, "schemaVersion", "missing"),
]


@pytest.mark.parametrize(("path", "value", "field", "reason"), MALFORMED_NATIVE)
def test_malformed_native_item_is_rejected_with_its_field_and_changes_nothing(
    path: str, value: Any, field: str, reason: str
) -> None:
    registry = Registry.with_builtins()
    revision = registry.revision
    before = registry.resolve("v1", "Pod")
    good = native_model("good", components=[{"apiVersion": "good.example/v1", "kind": "Good"}])
    bad = _mutate(native_model(), path, value)
    result = registry.load(orjson.dumps([bad, good]), origin="upload.json")
    assert [m.name for m in result.models] == ["good"]
    assert result.rejected, "expected a rejection"
    assert all(r.item == "upload.json[0]" for r in result.rejected)
    assert any(r.path == field and reason in r.reason for r in result.rejected), result.rejected
    assert registry.resolve("example.com/v1", "Widget") is None  # nothing partial
    assert registry.revision == revision + 1  # only the good item
    assert registry.resolve("v1", "Pod") == before


def test_a_duplicate_kind_rejects_the_whole_model() -> None:
    doc = native_model(
        components=[
            {"apiVersion": "example.com/v1", "kind": "Widget"},
            {"apiVersion": "example.com/v1", "kind": "Gadget"},
            {"apiVersion": "example.com/v1", "kind": "Widget"},
        ]
    )
    result = load(doc)
    assert result.models == ()
    (rejection,) = result.rejected
    assert rejection.path == "components[2]"
    assert "already defined at components[0]" in rejection.reason
    assert rejection.subject == "model 'widgets'"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"42", "expected an object or an array"),
        (b"[1]", "expected an object, got number"),
        ("", "not valid JSON"),
    ],
)
def test_non_documents_are_rejected(data: bytes | str, reason: str) -> None:
    registry = Registry.with_builtins()
    revision = registry.revision
    result = registry.load(data)
    assert result.models == ()
    assert len(result.rejected) == 1
    assert reason in result.rejected[0].reason
    assert registry.revision == revision


MALFORMED_MESHERY = [
    ("component.kind", _DELETE, "component.kind", "required"),
    ("component.version", "apps/", "component.version", "apiVersion"),
    ("component.schema", "{oops", "component.schema", "not valid JSON"),
    ("styles.primaryColor", "rgb(1,2,3)", "styles.primaryColor", "#RRGGBB"),
    ("styles.svgColor", "<html/>", "styles.svgColor", "root element must be <svg>"),
    ("metadata.isNamespaced", "true", "metadata.isNamespaced", "expected a boolean"),
    ("model", _DELETE, "model", "required"),
    ("model.name", None, "model.name", "required"),
    ("model.metadata.secondaryColor", "#GGGGGG", "model.metadata.secondaryColor", "#RRGGBB"),
    ("schemaVersion", "components.meshery.io/v1alpha9", "schemaVersion", "unknown"),
]


@pytest.mark.parametrize(("path", "value", "field", "reason"), MALFORMED_MESHERY)
def test_malformed_meshery_component_is_rejected(
    path: str, value: Any, field: str, reason: str
) -> None:
    registry = Registry()
    result = registry.load_many(
        [
            ("ok.json", orjson.dumps(meshery_component("ScaledJob"))),
            ("bad.json", orjson.dumps(_mutate(meshery_component(), path, value))),
        ]
    )
    assert any(
        r.item == "bad.json" and r.path == field and reason in r.reason for r in result.rejected
    ), result.rejected
    assert registry.resolve("keda.sh/v1alpha1", "ScaledObject") is None
    assert registry.resolve("keda.sh/v1alpha1", "ScaledJob") is not None


def test_meshery_component_duplicates_and_conflicts() -> None:
    native_keda = native_model("keda", "2.14.0", components=[])
    result = load_many(
        [
            ("a.json", meshery_component()),
            ("b.json", meshery_component()),
            ("native.json", native_keda),
        ]
    )
    assert [m.name for m in result.models] == ["keda"]
    assert result.models[0].components == ()
    reasons = {r.item: r.reason for r in result.rejected}
    assert "already defined by a.json" in reasons["b.json"]
    assert "already defined by native.json" in reasons["a.json"]


def test_rejections_become_bad_input_errors() -> None:
    result = load(b"{")
    (error,) = result.errors()
    assert isinstance(error, BadInput)
    assert error.code == "BAD_INPUT"
    assert error.details["item"] == "input"
    with pytest.raises(BadInput, match="1 problem"):
        result.raise_if_rejected()
    load(native_model()).raise_if_rejected()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
KEYS = st.sampled_from(
    [
        "schemaVersion",
        "name",
        "version",
        "components",
        "styles",
        "kind",
        "apiVersion",
        "component",
        "model",
        "metadata",
        "primaryColor",
        "svgColor",
        "schema",
        "category",
        "priority",
    ]
)
SCHEMA_VERSIONS = st.sampled_from(
    [
        "registry.graphql-server/v1",
        "models.meshery.io/v1beta1",
        "components.meshery.io/v1beta1",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=st.one_of(
        JSON,
        st.builds(
            lambda sv, body: {**body, "schemaVersion": sv},
            SCHEMA_VERSIONS,
            st.dictionaries(KEYS, JSON, max_size=8),
        ),
    ),
    as_text=st.booleans(),
)
def test_loader_never_raises_on_arbitrary_json(doc: Any, as_text: bool) -> None:
    result = load(orjson.dumps(doc) if as_text else doc)
    assert isinstance(result, LoadResult)
    for rejection in result.rejected:
        assert isinstance(rejection.to_error(), BadInput)
        assert rejection.reason


@settings(max_examples=200)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_loader_never_raises_on_arbitrary_bytes(data: bytes | str) -> None:
    assert isinstance(load(data), LoadResult)


def test_meshery_model_with_embedded_components() -> None:
    model = meshery_model()
    model["components"] = [meshery_component(), meshery_component("ScaledJob")]
    result = load(model)
    assert result.ok, result.rejected
    assert [c.kind for c in result.models[0].components] == ["ScaledObject", "ScaledJob"]

    model["components"].append(meshery_component())
    result = load(model)
    assert result.models == ()
    (rejection,) = result.rejected
    assert rejection.path == "components[2]"
    assert "already defined at components[0]" in rejection.reason
