"""The built-in models shipped as package data under ``registry/data``.

Owns reading ``data/models/*.json`` (one model per file, the registry's own format)
and ``data/icons/*.svg`` through ``importlib.resources``. Reading happens on first
use, never at import time, and is cached: built-in data cannot change while running.
A built-in file that fails validation is a packaging bug and raises
``ConfigurationError``. Must not hold a registry or apply precedence.
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.resources.abc import Traversable

from graphql_server.errors import ConfigurationError
from graphql_server.registry.definitions import Model, Source
from graphql_server.registry.loading import load_many

_PACKAGE = "graphql_server.registry"


def _data() -> Traversable:
    return resources.files(_PACKAGE).joinpath("data")


def icon(reference: str) -> str | None:
    """The markup of ``icons/<name>.svg`` from the built-in data, or None if absent."""
    return _icons().get(reference)


@functools.cache
def _icons() -> dict[str, str]:
    folder = _data().joinpath("icons")
    return {
        f"icons/{entry.name}": entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".svg")
    }


@functools.cache
def builtin_models() -> tuple[Model, ...]:
    folder = _data().joinpath("models")
    documents = sorted(
        (f"models/{entry.name}", entry.read_bytes())
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )
    result = load_many(documents, source=Source.BUILTIN, icons=icon)
    if result.rejected:
        raise ConfigurationError(
            "built-in registry data is invalid: "
            + "; ".join(rejection.message for rejection in result.rejected[:5])
        )
    return tuple(sorted(result.models, key=lambda m: m.name))
