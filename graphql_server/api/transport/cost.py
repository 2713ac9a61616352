"""The cost of an operation, and refusing operations over ``--max-query-cost``.

Every selected field counts once per item of the lists around it. A field with a
page-size argument (``first`` or ``last``: the value given, else its default)
sizes the first list at or below it (``resources(first: 500) { edges { node } }``:
each field of a node counts 500 times); any other list counts ``LIST_FACTOR``
items. Fragments count where they are spread; introspection fields count nothing
(``--no-introspection`` governs them). The cost is computed from the document and
the variables before anything runs, so an operation over the limit costs nothing
but this walk, which is linear in the size of the document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql import ExecutionResult as CoreResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql_server.errors import QueryTooCostly

LIST_FACTOR = 5
PAGE_ARGUMENTS = ("first", "last")
# No field serves larger pages: its resolver refuses them with its own error, which
# says more than a cost would.
PAGE_CAP = 1000


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(
        self,
        parent: Any,
        selection_set: SelectionSetNode | None,
        multiplier: int,
        page: int | None,
        spreads: frozenset[str] = frozenset(),
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, multiplier, page, spreads)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(target, selection.selection_set, multiplier, page, spreads)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spreads:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selections(
                    target, fragment.selection_set, multiplier, page, spreads | {name}
                )
        return total

    def field(
        self,
        parent: Any,
        node: FieldNode,
        multiplier: int,
        page: int | None,
        spreads: frozenset[str],
    ) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0 if name in ("__schema", "__type") else multiplier
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return multiplier
        definition = parent.fields.get(name)
        if definition is None:
            return multiplier
        own = multiplier
        size = self._page_size(node, definition)
        if size is not None:
            page = size
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        inner = multiplier
        while isinstance(field_type, GraphQLList):
            inner *= page if page is not None else LIST_FACTOR
            page = None
            field_type = field_type.of_type
            if isinstance(field_type, GraphQLNonNull):
                field_type = field_type.of_type
        return own + self.selections(field_type, node.selection_set, inner, page, spreads)

    def _page_size(self, node: FieldNode, definition: Any) -> int | None:
        for argument_name in PAGE_ARGUMENTS:
            if argument_name not in definition.args:
                continue
            given = next((a for a in node.arguments or () if a.name.value == argument_name), None)
            value: Any = None
            if given is None:
                value = definition.args[argument_name].default_value
            elif isinstance(given.value, IntValueNode):
                value = int(given.value.value)
            elif isinstance(given.value, VariableNode):
                value = self.variables.get(given.value.name.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return min(max(value, 0), PAGE_CAP)
        return None


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the named operation (or the only one) of a validated document."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if not chosen:
        return 0
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
    walk = _Walk(schema, fragments, values)
    return walk.selections(root, operation.selection_set, 1, None)


class CostLimit(SchemaExtension):
    """Refuses operations costing more than the limit, before they run."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if cost > self.limit:
                refusal = QueryTooCostly(
                    f"the operation costs {cost}, over the limit of {self.limit}: ask for "
                    "smaller pages or fewer fields, or split it",
                    cost=cost,
                    limit=self.limit,
                )
                if context.operation_type is OperationType.SUBSCRIPTION:
                    raise refusal
                error = GraphQLError(refusal.message, original_error=refusal)
                context.result = CoreResult(data=None, errors=[error])
        yield
