"""Imports as Meshery ships models: one file per component, merged into the stored model,
on SQLite and PostgreSQL (through the real store)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from graphql_server.errors import BadInput
from graphql_server.registry import Registry, Source
from graphql_server.registry.importing import Outcome
from graphql_server.services.models import ModelImport, import_models, load_registry
from graphql_server.store import Store
from tests.registry.fixtures import (
    CERT_MODEL,
    CERTIFICATE,
    CERTIFICATE_REQUEST,
    SEALED_MODEL,
    SEALED_SECRET,
    document,
)

CERT_FILES = (CERT_MODEL, CERTIFICATE, CERTIFICATE_REQUEST)
CERT_KEYS = {("cert-manager.io/v1", "Certificate"), ("cert-manager.io/v1", "CertificateRequest")}


async def imported(store: Store, registry: Registry, *paths: str, **options: Any) -> ModelImport:
    docs = [document(path) for path in paths]
    return await import_models(store, registry, docs if len(docs) > 1 else docs[0], **options)


def outcomes(done: ModelImport) -> list[tuple[str, Outcome]]:
    return [(report.subject, report.outcome) for report in done.plan.items]


def cert_manager(registry: Registry) -> Any:
    model = registry.model("cert-manager", "v1.17.2", Source.IMPORTED)
    assert model is not None
    return model


@pytest.mark.parametrize("order", list(itertools.permutations(CERT_FILES)))
async def test_per_file_imports_in_any_order_end_with_all_components(
    store: Store, order: tuple[str, ...]
) -> None:
    together = Registry.with_builtins()
    await import_models(store, together, [document(path) for path in CERT_FILES])
    expected = cert_manager(together)
    await store.registry.delete("cert-manager")

    registry = Registry.with_builtins()
    for path in order:
        await imported(store, registry, path)
    model = cert_manager(registry)
    assert {c.key for c in model.components} == CERT_KEYS
    assert model == expected, "the order of the files makes no difference"
    assert model.display_name == "Cert Manager"
    assert model.category.name == "Security & Compliance"
    assert model.styles.svg_color.startswith("<svg"), "the XML prologue is stripped"
    for api_version, kind in CERT_KEYS:
        resolved = registry.resolve(api_version, kind)
        assert resolved is not None
        assert resolved.model.source is Source.IMPORTED
    restarted = await load_registry(store)
    assert cert_manager(restarted) == model, "what is stored is what is shown"


async def test_a_new_model_is_reported_added_whichever_of_its_files_comes_first(
    store: Store,
) -> None:
    registry = Registry.with_builtins()
    done = await imported(store, registry, CERTIFICATE, CERTIFICATE_REQUEST, CERT_MODEL)
    assert outcomes(done) == [
        ("component Certificate", Outcome.ADDED),
        ("component CertificateRequest", Outcome.ADDED),
        ("model 'cert-manager'", Outcome.ADDED),
    ], "the model did not exist before this import, so its model file added it"
    assert [m.name for m in done.plan.added] == ["cert-manager"]
    assert done.plan.updated == ()

    again = await import_models(store, registry, document(CERT_MODEL))
    assert outcomes(again) == [("model 'cert-manager'", Outcome.UNCHANGED)]

    twice = await imported(store, registry, SEALED_SECRET, SEALED_MODEL, SEALED_MODEL)
    assert outcomes(twice) == [
        ("component SealedSecret", Outcome.ADDED),
        ("model 'sealed-secrets'", Outcome.ADDED),
        ("model 'sealed-secrets'", Outcome.UNCHANGED),
    ], "a repeated model file within one import changes nothing more"


async def test_one_file_again_keeps_the_other_components(store: Store) -> None:
    registry = Registry.with_builtins()
    await imported(store, registry, *CERT_FILES)
    revision = registry.revision

    again = await imported(store, registry, CERTIFICATE_REQUEST)
    assert outcomes(again) == [("component CertificateRequest", Outcome.UNCHANGED)]
    assert again.plan.updated == ()
    model_only = await imported(store, registry, CERT_MODEL)
    assert outcomes(model_only) == [("model 'cert-manager'", Outcome.UNCHANGED)]
    assert len(cert_manager(registry).components) == 2
    assert registry.revision == revision, "imports that change nothing leave the revision"
    certificate = registry.resolve("cert-manager.io/v1", "Certificate")
    assert certificate is not None
    assert certificate.model.source is Source.IMPORTED


async def test_a_changed_component_updates_only_itself(store: Store) -> None:
    registry = Registry.with_builtins()
    await imported(store, registry, *CERT_FILES)
    revision = registry.revision
    changed = document(CERTIFICATE)
    changed["displayName"] = "TLS Certificate"
    done = await import_models(store, registry, changed)
    assert outcomes(done) == [("component Certificate", Outcome.UPDATED)]
    assert [m.name for m in done.plan.updated] == ["cert-manager"]
    assert registry.revision == revision + 1, "one import, one revision"
    model = cert_manager(registry)
    shown = {c.kind: c.display_name for c in model.components}
    assert shown == {"Certificate": "TLS Certificate", "CertificateRequest": "Certificate Request"}


async def test_a_rejected_component_changes_nothing_stored(store: Store) -> None:
    registry = Registry.with_builtins()
    await imported(store, registry, SEALED_MODEL, SEALED_SECRET)
    revision, stored = registry.revision, await store.registry.documents()
    broken = document(SEALED_SECRET)
    del broken["component"]["kind"]

    done = await import_models(store, registry, [document(SEALED_MODEL), broken])
    assert outcomes(done) == [
        ("model 'sealed-secrets'", Outcome.UNCHANGED),
        ("", Outcome.REJECTED),
    ]
    (rejected,) = done.plan.rejected
    assert (rejected.item, rejected.path) == ("importModels[1]", "component.kind")
    assert rejected.model_name == "sealed-secrets"
    assert registry.revision == revision
    assert await store.registry.documents() == stored
    resolved = registry.resolve("bitnami.com/v1alpha1", "SealedSecret")
    assert resolved is not None
    assert (resolved.model.name, resolved.generated) == ("sealed-secrets", False)


async def test_a_rejected_model_file_is_not_replaced_by_a_component_model_block(
    store: Store,
) -> None:
    registry = Registry.with_builtins()
    await imported(store, registry, *CERT_FILES)
    before, revision = cert_manager(registry), registry.revision
    bad_model = document(CERT_MODEL)
    bad_model["displayName"] = "Renamed"
    bad_model["metadata"]["svgColor"] = "<html><script>alert(1)</script></html>"

    done = await import_models(store, registry, [bad_model, document(CERTIFICATE)])
    assert outcomes(done) == [
        ("component Certificate", Outcome.UNCHANGED),
        ("model 'cert-manager'", Outcome.REJECTED),
    ]
    assert "root element must be <svg>" in done.plan.rejected[0].reason
    assert done.plan.updated == ()
    assert done.plan.added == ()
    assert cert_manager(registry) == before
    assert registry.revision == revision


async def test_a_component_file_alone_creates_its_model_from_its_model_block(
    store: Store,
) -> None:
    registry = Registry.with_builtins()
    done = await imported(store, registry, SEALED_SECRET)
    assert outcomes(done) == [("component SealedSecret", Outcome.ADDED)]
    (model,) = done.plan.added
    assert (model.name, model.version, model.display_name) == (
        "sealed-secrets",
        "2.18.0",
        "Sealed Secrets",
    )
    header = document(SEALED_MODEL)
    header["description"] = "Encrypt your Secret into a SealedSecret."
    later = await import_models(store, registry, header)
    assert outcomes(later) == [("model 'sealed-secrets'", Outcome.UPDATED)]
    stored = registry.model("sealed-secrets", "2.18.0", Source.IMPORTED)
    assert stored is not None
    assert stored.description == "Encrypt your Secret into a SealedSecret."
    assert [c.kind for c in stored.components] == ["SealedSecret"]


async def test_replace_removes_what_the_import_does_not_provide(store: Store) -> None:
    registry = Registry.with_builtins()
    await imported(store, registry, *CERT_FILES)

    merged = await imported(store, registry, CERT_MODEL, CERTIFICATE)
    assert len(cert_manager(registry).components) == 2, "without replace, nothing is removed"
    assert merged.plan.updated == ()

    done = await imported(store, registry, CERT_MODEL, CERTIFICATE, replace=True)
    removed = [r for r in done.plan.items if r.outcome is Outcome.REMOVED]
    assert [(r.kind, r.model_name) for r in removed] == [("CertificateRequest", "cert-manager")]
    assert [c.kind for c in cert_manager(registry).components] == ["Certificate"]
    request = registry.resolve("cert-manager.io/v1", "CertificateRequest")
    assert request is not None
    assert request.model.source is Source.BUILTIN, "the built-in model defines it again"
    restarted = await load_registry(store)
    assert [c.kind for c in cert_manager(restarted).components] == ["Certificate"]


async def test_replace_removes_nothing_when_an_item_of_the_model_is_rejected(
    store: Store,
) -> None:
    registry = Registry.with_builtins()
    await imported(store, registry, *CERT_FILES)
    before = cert_manager(registry)
    broken = document(CERTIFICATE_REQUEST)
    broken["styles"]["primaryColor"] = "blue"

    done = await import_models(
        store, registry, [document(CERT_MODEL), document(CERTIFICATE), broken], replace=True
    )
    assert not [r for r in done.plan.items if r.outcome is Outcome.REMOVED]
    skipped = [r for r in done.plan.items if r.reason.startswith("replace skipped")]
    assert [r.model_name for r in skipped] == ["cert-manager"]
    assert cert_manager(registry) == before


async def test_an_import_where_nothing_is_accepted_is_bad_input(store: Store) -> None:
    registry = Registry.with_builtins()
    revision = registry.revision
    broken = document(SEALED_SECRET)
    broken["component"]["version"] = "not/an/api/version"
    with pytest.raises(BadInput, match=r"nothing was imported: 2 item\(s\) rejected") as caught:
        await import_models(store, registry, [broken, {"schemaVersion": "nope"}])
    assert "component.version" in caught.value.message
    assert len(caught.value.details["rejections"]) == 2
    assert registry.revision == revision
    assert await store.registry.documents() == []


async def test_reads_that_generate_components_leave_the_revision(store: Store) -> None:
    registry = Registry.with_builtins()
    done = await imported(store, registry, SEALED_MODEL, SEALED_SECRET)
    assert done.revision == 1
    registry.resolve_or_generate("example.com/v1", "Widget")
    registry.generate_for("example.com/v1", "Gadget", schema={"type": "object"})
    assert registry.revision == 1
    assert registry.epoch > 1


async def test_replace_removes_nothing_when_a_rejected_item_names_no_model(
    store: Store,
) -> None:
    registry = Registry.with_builtins()
    await imported(store, registry, *CERT_FILES)
    before = cert_manager(registry)
    done = await import_models(
        store, registry, [document(CERT_MODEL), "not a definition"], replace=True
    )
    assert not [r for r in done.plan.items if r.outcome is Outcome.REMOVED]
    assert cert_manager(registry) == before


async def test_items_report_the_size_of_their_sanitised_icons(store: Store) -> None:
    registry = Registry.with_builtins()
    done = await imported(store, registry, SEALED_MODEL, SEALED_SECRET)
    model_item, component_item = done.plan.items
    component = registry.resolve("bitnami.com/v1alpha1", "SealedSecret")
    assert component is not None
    styles = component.component.styles
    assert component_item.icon_bytes == len(styles.svg_color) + len(styles.svg_white)
    model = component.model.styles
    assert model_item.icon_bytes == len(model.svg_color) + len(model.svg_white)
    assert not model.svg_color.startswith("<?xml")
