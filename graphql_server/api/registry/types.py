"""GraphQL types of the component registry: models, components, styles, resolution."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON

from graphql_server.registry import Candidate as RegistryCandidate
from graphql_server.registry import Component as RegistryComponent
from graphql_server.registry import Model as RegistryModel
from graphql_server.registry import PrinterColumn as RegistryPrinterColumn
from graphql_server.registry import ResolvedComponent
from graphql_server.registry import Styles as RegistryStyles


@strawberry.enum(description="Where a model comes from; the first one wins a tie.")
class ModelSource(Enum):
    IMPORTED = "IMPORTED"
    BUILTIN = "BUILTIN"
    GENERATED = "GENERATED"


@strawberry.type(description="Colours, icons (SVG markup) and node shape.")
class Styles:
    primary_color: str
    secondary_color: str
    svg_color: str
    svg_white: str
    shape: str

    @classmethod
    def of(cls, styles: RegistryStyles) -> Styles:
        return cls(
            primary_color=styles.primary_color,
            secondary_color=styles.secondary_color,
            svg_color=styles.svg_color,
            svg_white=styles.svg_white,
            shape=styles.shape,
        )


@strawberry.type(description="A named, versioned set of components.")
class Model:
    name: str
    version: str
    display_name: str
    category: str
    source: ModelSource
    priority: int
    description: str
    styles: Styles
    component_count: int

    @classmethod
    def of(cls, model: RegistryModel) -> Model:
        return cls(
            name=model.name,
            version=model.version,
            display_name=model.display_name,
            category=model.category.name,
            source=ModelSource(model.source.value),
            priority=model.priority,
            description=model.description,
            styles=Styles.of(model.styles),
            component_count=len(model.components),
        )


@strawberry.type(description="A model that also defines this kind, and the rule it lost on.")
class ResolutionCandidate:
    model: Model
    lost_on: str | None

    @classmethod
    def of(cls, candidate: RegistryCandidate) -> ResolutionCandidate:
        lost_on = candidate.lost_on.value if candidate.lost_on is not None else None
        return cls(model=Model.of(candidate.model), lost_on=lost_on)


@strawberry.type(
    description="Why this component was chosen: imported over built-in over generated, "
    "then higher model priority, then model name, then newer version."
)
class Resolution:
    explanation: str
    candidates: list[ResolutionCandidate]


@strawberry.type(
    description="A column the cluster lists the kind with (a CRD's additionalPrinterColumns)."
)
class PrinterColumn:
    name: str
    type: str
    json_path: str
    description: str
    priority: int
    format: str

    @classmethod
    def of(cls, column: RegistryPrinterColumn) -> PrinterColumn:
        return cls(
            name=column.name,
            type=column.type,
            json_path=column.json_path,
            description=column.description,
            priority=column.priority,
            format=column.format,
        )


@strawberry.type(description="The component a kind is: its model, name, icon and colours.")
class Component:
    id: strawberry.ID
    kind: str
    api_version: str
    display_name: str
    description: str
    namespaced: bool
    generated: bool
    model: Model
    styles: Styles
    schema: JSON | None = strawberry.field(
        description="The kind's JSON schema (for a CRD's kind, its openAPIV3Schema)."
    )
    printer_columns: list[PrinterColumn] = strawberry.field(
        description="For a CRD's kind, its additionalPrinterColumns; else empty."
    )
    resolution: Resolution = strawberry.field(
        description="Every model defining this kind and why the active one wins."
    )

    @classmethod
    def of(
        cls,
        model: RegistryModel,
        component: RegistryComponent,
        resolved: ResolvedComponent,
    ) -> Component:
        return cls(
            id=strawberry.ID(
                f"{model.source.value}:{model.name}@{model.version}:"
                f"{component.api_version}/{component.kind}"
            ),
            kind=component.kind,
            api_version=component.api_version,
            display_name=component.display_name,
            description=component.description,
            namespaced=component.namespaced,
            generated=model.source.value == "GENERATED",
            model=Model.of(model),
            styles=Styles.of(component.styles),
            schema=JSON(component.schema_document()) if component.schema else None,
            printer_columns=[PrinterColumn.of(c) for c in component.printer_columns],
            resolution=Resolution(
                explanation=resolved.explanation,
                candidates=[ResolutionCandidate.of(c) for c in resolved.candidates],
            ),
        )

    @classmethod
    def resolved(cls, resolved: ResolvedComponent) -> Component:
        return cls.of(resolved.model, resolved.component, resolved)
