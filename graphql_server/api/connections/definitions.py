"""GraphQL types of the connection definitions: what each kind of connection is, the
credential forms it accepts and the component it is displayed as. Read-only."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from graphql_server.api.context import Info
from graphql_server.api.registry.types import Styles
from graphql_server.connectivity import DEFINITIONS, get_definition
from graphql_server.connectivity import ConnectionDefinition as Definition


@strawberry.type(description="The component a connection corresponds to, for display.")
class ConnectionComponent:
    kind: str
    model: str
    display_name: str
    styles: Styles | None


@strawberry.type(description="One way to authenticate to a kind of connection, as a form.")
class CredentialDefinition:
    type: str
    title: str
    schema: JSON = strawberry.field(description="JSON Schema of the credential's fields.")
    secret_fields: list[str]


@strawberry.type(description="What a kind of connection is and what it accepts.")
class ConnectionDefinition:
    kind: str
    title: str
    type: str
    sub_type: str
    default_port: int
    default_protocol: str
    component: ConnectionComponent
    credentials: list[CredentialDefinition]
    registration_schema: JSON = strawberry.field(
        description="JSON Schema of the kind-specific registration fields."
    )

    @classmethod
    def of(cls, definition: Definition, info: Info) -> ConnectionDefinition:
        return cls(
            kind=definition.kind,
            title=definition.title,
            type=definition.type,
            sub_type=definition.sub_type,
            default_port=definition.default_port,
            default_protocol=definition.default_protocol,
            component=component_of(definition.kind, info),
            credentials=[
                CredentialDefinition(
                    type=c.type,
                    title=c.title,
                    schema=JSON(dict(c.schema)),
                    secret_fields=sorted(c.secret_fields),
                )
                for c in definition.credentials.values()
            ],
            registration_schema=JSON(dict(definition.registration_schema)),
        )


def component_of(kind: str, info: Info) -> ConnectionComponent:
    definition = DEFINITIONS.get(kind) or get_definition(kind)
    model = info.context.services.registry.model(definition.model)
    return ConnectionComponent(
        kind=definition.component_kind,
        model=definition.model,
        display_name=definition.title,
        styles=None if model is None else Styles.of(model.styles),
    )
