"""Execution of plain objects without the per-field machinery.

Most of what the inventory returns is objects whose selected fields are plain
attributes: a page of a hundred resources is edges, nodes and fifteen scalar
fields each, some two thousand field executions that each build resolve info,
call a resolver wrapper and complete a value. When every field selected on an
object is a plain attribute (no resolver, no arguments, no directives, no
field extension, no middleware) whose type is a scalar, an enum, an object type
selected the same way, or a list of those, this executor reads the attributes
and serialises them directly, with the same results. Anything else, including
a value that would be an error (``null`` in a non-null field, a value a scalar
refuses, an attribute that is missing), takes graphql-core's ordinary path for
the whole object; nothing has been resolved by then, so nothing is done twice.

A plan (which attribute, which serialiser) is made once per selection in each
execution: graphql-core collects the subfields of a field once and keeps that
object alive for the execution, so its identity is a safe key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


@dataclass(frozen=True, slots=True)
class Step:
    response_name: str
    attribute: str | None  # None: __typename, answered by ``serialize``
    serialize: Callable[[Any], Any] | None  # leaves
    object_type: GraphQLObjectType | None  # objects, selected by ``details``
    details: Any
    nullable: bool
    is_list: bool = False
    items_nullable: bool = False


Plan = tuple[Step, ...]


class _Fallback(Exception):
    pass


def _constant(value: str) -> Callable[[Any], str]:
    return lambda _ignored: value


def _unwrap(field_type: Any) -> tuple[Any, bool]:
    if isinstance(field_type, GraphQLNonNull):
        return field_type.of_type, False
    return field_type, True


def _plan(parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan | None:
    steps: list[Step] = []
    for response_name, details in grouped_field_set.items():
        if len(details) != 1:
            return None
        node = details[0].node
        if node.arguments or node.directives or details[0].defer_usage is not None:
            return None
        name = node.name.value
        if name == "__typename":
            answer = _constant(parent_type.name)
            steps.append(Step(response_name, None, answer, None, None, False))
            continue
        field = parent_type.fields.get(name)
        if field is None or field.args or not getattr(field.resolve, "_is_default", False):
            return None
        definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        attribute = getattr(definition, "python_name", None)
        if not attribute or getattr(definition, "extensions", None):
            return None
        if getattr(definition, "default_resolver", getattr) is not getattr:
            return None
        field_type, nullable = _unwrap(field.type)
        is_list, items_nullable = isinstance(field_type, GraphQLList), False
        if is_list:
            field_type, items_nullable = _unwrap(field_type.of_type)
        if isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
            step = Step(response_name, attribute, field_type.serialize, None, None, nullable)
        elif isinstance(field_type, GraphQLObjectType) and field_type.is_type_of is None:
            step = Step(response_name, attribute, None, field_type, details, nullable)
        else:
            return None
        if is_list:
            step = replace(step, is_list=True, items_nullable=items_nullable)
        steps.append(step)
    return tuple(steps)


class PlainObjectsExecutor(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> PlainObjectsExecutor:
        """The executor of one subscription event, with memos of its own.

        graphql-core memoizes collected subfields by the identity of the field lists
        they were collected from, and keeps those lists alive; an event's lists are
        new, and the memo is shared with every per-event copy, so a subscription
        kept every event's lists and plans for as long as it ran (about 0.4 MB/s at
        100 events/s). Each event's memos now go with it.
        """
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, PlainObjectsExecutor)  # a copy of this one
        executor._relevant_sub_fields = {}
        executor.__dict__.pop("_plans", None)
        return executor

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        manager = self.middleware_manager
        if manager is None or not manager.middlewares:
            plan = self._plan_for(parent_type, grouped_field_set)
            if plan is not None:
                try:
                    return self._execute(plan, source_value)
                except _Fallback:
                    pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _plan_for(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan | None:
        plans: dict[int, tuple[Any, Plan | None]] = self.__dict__.setdefault("_plans", {})
        known = plans.get(id(grouped_field_set))
        if known is None or known[0] is not grouped_field_set:
            known = (grouped_field_set, _plan(parent_type, grouped_field_set))
            plans[id(grouped_field_set)] = known
        return known[1]

    def _execute(self, plan: Plan, source: Any) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for step in plan:
            if step.attribute is None:
                results[step.response_name] = step.serialize(None)  # type: ignore[misc]
                continue
            value = getattr(source, step.attribute, Undefined)
            if value is None:
                if not step.nullable:
                    raise _Fallback
                results[step.response_name] = None
            elif value is Undefined:
                raise _Fallback
            elif step.is_list:
                if not isinstance(value, list | tuple):
                    raise _Fallback
                items: list[Any] = []
                for item in value:
                    if item is None:
                        if not step.items_nullable:
                            raise _Fallback
                        items.append(None)
                    else:
                        items.append(self._complete(step, item))
                results[step.response_name] = items
            else:
                results[step.response_name] = self._complete(step, value)
        return results

    def _complete(self, step: Step, value: Any) -> Any:
        if step.serialize is not None:
            try:
                serialized = step.serialize(value)
            except Exception:
                raise _Fallback from None
            if serialized is None or serialized is Undefined:
                raise _Fallback
            return serialized
        if self.is_awaitable(value):
            raise _Fallback
        assert step.object_type is not None
        grouped_field_set, deferred, *_ = self.collect_subfields(step.object_type, step.details)
        if deferred:
            raise _Fallback
        plan = self._plan_for(step.object_type, grouped_field_set)
        if plan is None:
            raise _Fallback
        return self._execute(plan, value)
