"""Each enum the schema shows has one definition: the domain's, made a GraphQL enum once."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import graphql_server.api as api_package
from graphql_server import events, lifecycle
from graphql_server.api.connections.event_log import LogEvent
from graphql_server.api.connections.types import Connection
from graphql_server.api.inventory.types import KindSync

API = Path(api_package.__file__).parent


def enum_of(graphql_type: Any, field: str) -> object:
    """The Python enum behind a field of a GraphQL object type."""
    definition = graphql_type.__strawberry_definition__
    found = next(f for f in definition.fields if f.python_name == field)
    return found.type.wrapped_cls


def test_the_schema_shows_the_domain_enums_themselves() -> None:
    assert enum_of(Connection, "status") is lifecycle.ConnectionStatus
    assert enum_of(KindSync, "phase") is events.SyncPhase
    assert enum_of(LogEvent, "severity") is events.Severity


def test_domain_enums_are_made_graphql_enums_in_one_module() -> None:
    """``strawberry.enum(DomainEnum, ...)`` is called in ``api/enums.py`` only."""
    elsewhere = []
    for path in sorted(API.rglob("*.py")):
        if path.name == "enums.py" and path.parent == API:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "enum"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "strawberry"
                and node.args
            ):
                elsewhere.append(f"{path.relative_to(API)}:{node.lineno}")
    assert elsewhere == []
