"""Models survive a round trip through their persisted document."""

from __future__ import annotations

from graphql_server.registry import Registry, Source, load
from graphql_server.registry.documents import model_document


def test_builtin_models_round_trip() -> None:
    for model in Registry.with_builtins().models(source=Source.BUILTIN):
        result = load(model_document(model), origin="roundtrip", source=Source.IMPORTED)
        assert result.ok, [r.message for r in result.rejected]
        (again,) = result.models
        assert (again.name, again.version, again.display_name) == (
            model.name,
            model.version,
            model.display_name,
        )
        assert again.styles == model.styles
        assert again.components == model.components
