"""Registry root mutations: importing model and component definitions.

The import itself (validation, persistence, registration) is
``services.models.import_models``; this module shows its outcome.
"""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.context import Info
from graphql_server.api.registry.types import Model
from graphql_server.services.models import import_models


@strawberry.type(description="A definition that was not imported, and why.")
class RejectedDefinition:
    item: str
    path: str
    reason: str
    message: str


@strawberry.type
class ImportResult:
    added: list[Model]
    updated: list[Model]
    rejected: list[RejectedDefinition]
    revision: int


@strawberry.type
class RegistryMutation:
    @strawberry.mutation(
        description="Import model and component definitions (this project's format or "
        "Meshery's). Each item is accepted or rejected whole, with reasons; an import "
        "that redefines a kind changes what existing resources show at once."
    )
    async def import_models(self, info: Info, definitions: JSON) -> ImportResult:
        services = info.context.services
        done = await import_models(services.store, services.registry, definitions)
        models = done.result.models
        return ImportResult(
            added=[Model.of(m) for m in models if (m.name, m.version) not in done.known],
            updated=[Model.of(m) for m in models if (m.name, m.version) in done.known],
            rejected=[
                RejectedDefinition(item=r.item, path=r.path, reason=r.reason, message=r.message)
                for r in done.result.rejected
            ],
            revision=done.revision,
        )
