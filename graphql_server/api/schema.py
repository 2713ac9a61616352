"""The schema and its execution settings.

Caches and limits: the parser and validation caches are shared LRU caches, and
the validation rules (depth, aliases, introspection) are classes built once per
schema. Extensions are created per operation (no state shared between
concurrent operations) but always hand the same rule classes to the validator,
so a document validated once is served from the cache afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import ASTValidationRule, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import Schema
from strawberry.extensions import (
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_server.api.access import AccessQuery
from graphql_server.api.auth import AccessControl
from graphql_server.api.connections.metrics import MetricsQueries, MetricsSubscription
from graphql_server.api.connections.mutations import ConnectionMutation
from graphql_server.api.connections.notifications import (
    NotificationQueries,
    NotificationSubscription,
)
from graphql_server.api.connections.queries import ConnectionQueries
from graphql_server.api.connections.subscriptions import ConnectionSubscription
from graphql_server.api.errors import ErrorPresentation
from graphql_server.api.inventory.mutations import Mutation
from graphql_server.api.inventory.queries import Query
from graphql_server.api.inventory.subscriptions import Subscription
from graphql_server.api.registry.mutations import RegistryMutation
from graphql_server.api.registry.queries import RegistryQuery
from graphql_server.api.transport.cost import CostLimit
from graphql_server.api.transport.execution import PlainObjectsExecutor
from graphql_server.api.transport.hygiene import NoNulInStrings
from graphql_server.api.transport.operation_metrics import OperationMetrics
from graphql_server.api.transport.parsing import ReportingParserCache
from graphql_server.settings import Settings

CACHE_SIZE = 1024


class InventorySchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Expected errors are answers, not incidents; unexpected ones are logged where
        they are masked (``api.errors``)."""


def _rules_extension(rules: tuple[type[ASTValidationRule], ...]) -> Callable[[], SchemaExtension]:
    class ValidationRules(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            context = self.execution_context
            context.validation_rules = (*context.validation_rules, *rules)
            yield

    return ValidationRules


def build_schema(
    settings: Settings | None = None, operations: OperationMetrics | None = None
) -> Schema:
    settings = settings or Settings()
    rules: tuple[type[ASTValidationRule], ...] = (
        depth_rule(settings.max_query_depth, None, None),
        alias_rule(settings.max_aliases),
        NoNulInStrings,
    )
    if not settings.introspection:
        rules = (*rules, NoSchemaIntrospectionCustomRule)
    max_tokens, max_cost = settings.max_tokens, settings.max_query_cost
    hide_suggestions = not settings.introspection
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ErrorPresentation(hide_suggestions),
        AccessControl,
        lambda: CostLimit(max_cost),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ReportingParserCache(maxsize=CACHE_SIZE),
        _rules_extension(rules),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
    if operations is not None:
        # First, so it leaves last and counts errors as ErrorPresentation shows them.
        extensions.insert(0, operations.extension)
    return InventorySchema(
        query=merge_types(
            "Query",
            (
                Query,
                RegistryQuery,
                ConnectionQueries,
                NotificationQueries,
                MetricsQueries,
                AccessQuery,
            ),
        ),
        mutation=merge_types("Mutation", (Mutation, RegistryMutation, ConnectionMutation)),
        subscription=merge_types(
            "Subscription",
            (Subscription, ConnectionSubscription, NotificationSubscription, MetricsSubscription),
        ),
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=PlainObjectsExecutor,
    )


def schema_sdl() -> str:
    """The SDL of the schema, as committed in ``schema/schema.graphql``."""
    return build_schema().as_str() + "\n"
