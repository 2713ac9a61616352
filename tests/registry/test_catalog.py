"""The registry index: resolution, precedence, imports, removal and generated kinds."""

from __future__ import annotations

import pytest

from graphql_server.errors import BadInput, NotFound
from graphql_server.registry import Model, Registry, Source, Tier, load
from graphql_server.registry.resolution import version_order

from .samples import native_model

WIDGET = ("example.com/v1", "Widget")


def models_of(doc: dict[str, object], source: Source = Source.IMPORTED) -> tuple[Model, ...]:
    result = load(doc, source=source)
    assert result.ok, result.rejected
    return result.models


def test_unknown_crd_is_generated_then_an_import_takes_over_without_restart() -> None:
    registry = Registry.with_builtins()
    assert registry.resolve(*WIDGET) is None
    schema = {"type": "object", "properties": {"spec": {"type": "object"}}}
    generated = registry.generate_for(*WIDGET, namespaced=False, schema=schema)
    assert generated.generated
    assert generated.model.name == "example.com"
    assert generated.model.display_name == "Example"
    assert generated.model.category.name == "Uncategorized"
    assert generated.component.namespaced is False
    assert generated.component.schema_document() == schema
    assert generated.component.styles.svg_color.startswith("<svg")
    assert registry.resolve(*WIDGET) == generated

    before = registry.revision
    result = registry.load(native_model())
    assert result.ok
    assert registry.revision > before
    resolved = registry.resolve(*WIDGET)
    assert resolved is not None
    assert resolved.model.source is Source.IMPORTED
    assert resolved.model.name == "widgets"
    assert [c.model.source for c in resolved.candidates] == [Source.IMPORTED, Source.GENERATED]
    assert resolved.candidates[1].lost_on is Tier.SOURCE
    assert "source" in resolved.explanation


def test_removing_an_import_falls_back_to_a_generated_component_for_served_kinds() -> None:
    registry = Registry.with_builtins()
    registry.load(native_model())
    defined = registry.generate_for(*WIDGET, namespaced=True)
    assert defined.model.source is Source.IMPORTED
    assert registry.models(source=Source.GENERATED) == []

    removed = registry.remove("widgets")
    assert [m.name for m in removed] == ["widgets"]
    fallback = registry.resolve(*WIDGET)
    assert fallback is not None
    assert fallback.generated

    assert registry.forget_served(*WIDGET)
    assert registry.resolve(*WIDGET) is None
    assert registry.models(source=Source.GENERATED) == []


def test_generate_for_a_defined_kind_changes_nothing() -> None:
    registry = Registry.with_builtins()
    revision = registry.revision
    resolved = registry.generate_for("apps/v1", "Deployment", namespaced=True)
    assert resolved.model.name == "kubernetes"
    assert registry.revision == revision
    assert registry.models(source=Source.GENERATED) == []


def test_generate_for_is_idempotent_and_updates_a_changed_schema() -> None:
    registry = Registry()
    revision = registry.revision
    registry.generate_for(*WIDGET)
    epoch = registry.epoch
    registry.generate_for(*WIDGET)
    assert registry.epoch == epoch
    updated = registry.generate_for(*WIDGET, schema={"type": "object"})
    assert registry.epoch == epoch + 1
    assert registry.revision == revision, "generated components are not definitions"
    assert updated.component.schema == '{"type":"object"}'
    registry.generate_for("example.com/v1", "Gadget")
    (model,) = registry.models(source=Source.GENERATED)
    assert [c.kind for c in model.components] == ["Gadget", "Widget"]


@pytest.mark.parametrize(("api_version", "kind"), [("not a version", "Widget"), ("v1", "bad kind")])
def test_generate_for_rejects_malformed_keys(api_version: str, kind: str) -> None:
    with pytest.raises(BadInput):
        Registry().generate_for(api_version, kind)


def test_resolve_or_generate() -> None:
    registry = Registry.with_builtins()
    assert registry.resolve_or_generate("v1", "Pod").model.name == "kubernetes"
    assert registry.resolve_or_generate("core.example/v1", "Thing").generated


def test_tier_source_imported_beats_builtin_beats_generated() -> None:
    registry = Registry()
    registry.generate_for(*WIDGET)
    registry.add(models_of(native_model("zz-builtin", priority=100), Source.BUILTIN))
    resolved = registry.resolve(*WIDGET)
    assert resolved is not None
    assert resolved.model.source is Source.BUILTIN

    registry.add(models_of(native_model("zz-imported", priority=-100)))
    resolved = registry.resolve(*WIDGET)
    assert resolved is not None
    assert resolved.model.name == "zz-imported"
    assert [c.lost_on for c in resolved.candidates] == [None, Tier.SOURCE, Tier.SOURCE]


def test_tier_priority_within_a_source() -> None:
    registry = Registry()
    registry.add(models_of(native_model("alpha", priority=1)))
    registry.add(models_of(native_model("beta", priority=5)))
    resolved = registry.resolve(*WIDGET)
    assert resolved is not None
    assert resolved.model.name == "beta"
    assert resolved.candidates[1].lost_on is Tier.PRIORITY


def test_tier_name_then_version() -> None:
    registry = Registry()
    registry.add(models_of(native_model("beta")))
    registry.add(models_of(native_model("alpha", "1.0.0")))
    resolved = registry.resolve(*WIDGET)
    assert resolved is not None
    assert resolved.model.name == "alpha"
    assert resolved.candidates[1].lost_on is Tier.NAME

    registry.add(models_of(native_model("alpha", "1.10.0")))
    registry.add(models_of(native_model("alpha", "1.9.0")))
    resolved = registry.resolve(*WIDGET)
    assert resolved is not None
    assert resolved.model.version == "1.10.0"
    assert [(c.model.name, c.model.version, c.lost_on) for c in resolved.candidates] == [
        ("alpha", "1.10.0", None),
        ("alpha", "1.9.0", Tier.VERSION),
        ("alpha", "1.0.0", Tier.VERSION),
        ("beta", "1.0.0", Tier.NAME),
    ]


def test_resolution_is_independent_of_insertion_order() -> None:
    docs = [
        native_model(n, v, priority=p)
        for n, v, p in [
            ("a", "1.0.0", 0),
            ("b", "2.0.0", 3),
            ("c", "1.0.0", 3),
            ("b", "2.0.0-rc.1", 3),
        ]
    ]
    winners = set()
    for order in (docs, docs[::-1], docs[1:] + docs[:1]):
        registry = Registry()
        for doc in order:
            registry.add(models_of(doc))
        resolved = registry.resolve(*WIDGET)
        assert resolved is not None
        winners.add((resolved.model.name, resolved.model.version))
    assert winners == {("b", "2.0.0")}


def test_version_order() -> None:
    ordered = ["0.9", "v1.0.0-rc.1", "1.0.0", "1.2", "1.10.0"]
    assert sorted(ordered, key=version_order) == ordered
    assert version_order("1.0") == version_order("1.0.0")
    assert version_order("latest") < version_order("0.0.1")


def test_replacing_an_import_updates_existing_keys_and_bumps_revision() -> None:
    registry = Registry.with_builtins()
    override = native_model(
        "kubernetes",
        "1.31.0",
        components=[{"apiVersion": "v1", "kind": "Pod", "displayName": "Workload Pod"}],
    )
    registry.load(override)
    resolved = registry.resolve("v1", "Pod")
    assert resolved is not None
    assert resolved.component.display_name == "Workload Pod"
    assert resolved.candidates[1].model.source is Source.BUILTIN

    revision = registry.revision
    override["components"] = [{"apiVersion": "v1", "kind": "Pod", "displayName": "Pod v2"}]
    registry.load(override)
    assert registry.revision == revision + 1
    resolved = registry.resolve("v1", "Pod")
    assert resolved is not None
    assert resolved.component.display_name == "Pod v2"

    registry.remove("kubernetes")
    resolved = registry.resolve("v1", "Pod")
    assert resolved is not None
    assert resolved.model.source is Source.BUILTIN
    assert resolved.component.display_name == "Pod"


def test_adding_an_identical_model_is_not_a_change() -> None:
    registry = Registry()
    registry.load(native_model())
    revision = registry.revision
    registry.load(native_model())
    assert registry.revision == revision


def test_remove_unknown_model_raises_not_found_and_changes_nothing() -> None:
    registry = Registry.with_builtins()
    revision = registry.revision
    with pytest.raises(NotFound):
        registry.remove("kubernetes")  # built-in, not imported
    with pytest.raises(NotFound):
        registry.remove("nope", source=Source.BUILTIN)
    assert registry.revision == revision


def test_listing_and_filtering() -> None:
    registry = Registry.with_builtins()
    registry.load(
        native_model("kubernetes", "9.9.9", components=[{"apiVersion": "v1", "kind": "Pod"}])
    )
    pods = registry.entries(kind="Pod")
    assert [(e.model.source, e.active) for e in pods] == [
        (Source.IMPORTED, True),
        (Source.BUILTIN, False),
    ]
    assert [e.component.kind for e in registry.entries(kind="Pod", active_only=True)] == ["Pod"]
    cert = registry.entries(text="certif")
    assert {e.component.kind for e in cert} == {"Certificate", "CertificateRequest"}
    istio_v1 = registry.entries(model_names=["istio"], api_version="networking.istio.io/v1")
    assert len(istio_v1) == 5
    assert {e.model.name for e in registry.entries(source=Source.BUILTIN)} == {
        "kubernetes",
        "prometheus-operator",
        "cert-manager",
        "istio",
        "argo-cd",
    }
    winner, builtin = (
        registry.model("kubernetes"),
        registry.model("kubernetes", source=Source.BUILTIN),
    )
    assert winner is not None
    assert (winner.source, winner.version) == (Source.IMPORTED, "9.9.9")
    assert builtin is not None
    assert builtin.version == "1.31.0"
    assert registry.model("nope") is None
    assert ("v1", "Pod") in registry
    assert len(registry.keys()) == len(registry)
