"""Registry root mutations: importing model and component definitions.

The import itself (validation, merging, persistence, registration) is
``services.models.import_models``; this module shows its outcome.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.context import Info
from graphql_server.api.registry.types import Model
from graphql_server.registry.importing import ItemReport
from graphql_server.services.models import import_models


@strawberry.type(description="A definition that was not imported, and why.")
class RejectedDefinition:
    item: str
    path: str
    reason: str
    message: str


@strawberry.enum(description="What an import did with one item.")
class ImportOutcome(Enum):
    ADDED = "ADDED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    REMOVED = "REMOVED"
    REJECTED = "REJECTED"


@strawberry.type(
    description="One item of an import and what it did. A model item has no kind; a "
    "component file names its kind; REMOVED names a component that `replace` removed."
)
class ImportedItem:
    item: str
    outcome: ImportOutcome
    subject: str
    model_name: str | None
    model_version: str | None
    api_version: str | None
    kind: str | None
    path: str
    reason: str
    message: str
    icon_bytes: int = strawberry.field(
        description="Bytes of the item's icons as served, after sanitising (0 if rejected)."
    )

    @classmethod
    def of(cls, report: ItemReport) -> ImportedItem:
        return cls(
            item=report.item,
            outcome=ImportOutcome(report.outcome.value),
            subject=report.subject,
            model_name=report.model_name,
            model_version=report.model_version,
            api_version=report.api_version,
            kind=report.kind,
            path=report.path,
            reason=report.reason,
            message=report.message,
            icon_bytes=report.icon_bytes,
        )


@strawberry.type
class ImportResult:
    added: list[Model] = strawberry.field(description="Models the import created.")
    updated: list[Model] = strawberry.field(
        description="Stored models whose header or components changed."
    )
    rejected: list[RejectedDefinition]
    items: list[ImportedItem] = strawberry.field(description="Every item and what it did.")
    revision: int = strawberry.field(
        description="The registry revision afterwards; unchanged when nothing changed."
    )


@strawberry.type
class RegistryMutation:
    @strawberry.mutation(
        description="Import model and component definitions (this project's format or "
        "Meshery's, e.g. a model.json and its component files, together or one at a "
        "time). Components merge into their model by model name, version and kind; "
        "`replace: true` also removes the stored components of each imported model that "
        "the import does not provide. Each item is accepted or rejected whole and a "
        "rejected item changes nothing; when no item is accepted the import is a "
        "BAD_INPUT error. Changes show on existing resources at once."
    )
    async def import_models(
        self, info: Info, definitions: JSON, replace: bool = False
    ) -> ImportResult:
        services = info.context.services
        done = await import_models(services.store, services.registry, definitions, replace=replace)
        plan = done.plan
        return ImportResult(
            added=[Model.of(m) for m in plan.added],
            updated=[Model.of(m) for m in plan.updated],
            rejected=[
                RejectedDefinition(item=r.item, path=r.path, reason=r.reason, message=r.message)
                for r in plan.rejected
            ],
            items=[ImportedItem.of(r) for r in plan.items],
            revision=done.revision,
        )
