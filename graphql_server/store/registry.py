"""Imported registry models, kept as documents so they survive restarts."""

from __future__ import annotations

from typing import Any

from graphql_server.store.models import ImportedModel


class RegistryStore:
    async def save(self, name: str, version: str, document: dict[str, Any], origin: str) -> None:
        await ImportedModel.update_or_create(
            name=name, version=version, defaults={"document": document, "origin": origin}
        )

    async def documents(self) -> list[tuple[str, dict[str, Any]]]:
        """(origin, document) of every imported model, oldest import first."""
        rows = await ImportedModel.all().order_by("imported_at", "id")
        return [(row.origin, row.document) for row in rows]

    async def delete(self, name: str, version: str | None = None) -> int:
        query = ImportedModel.filter(name=name)
        if version is not None:
            query = query.filter(version=version)
        return int(await query.delete())
