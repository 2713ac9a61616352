"""What differs between SQLite and PostgreSQL in the hand-written SQL.

The inventory's hot paths (the writer's batched upserts, resource pages,
counts) are plain SQL for speed; this module holds the few places where the
two databases disagree: placeholders, JSON parameters and label predicates,
timestamps. Everything else is portable SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from graphql_server.labels import Operator, Requirement

ABSENT = "\x01"


class Params:
    """Collects query parameters and hands out the dialect's placeholders."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return "?" if self.dialect == "sqlite" else f"${len(self.values)}"

    def json(self, value: Any) -> str:
        placeholder = self(None if value is None else orjson.dumps(value).decode())
        return placeholder if self.dialect == "sqlite" else f"{placeholder}::jsonb"


def placeholders(dialect: str, count: int, start: int = 1) -> list[str]:
    if dialect == "sqlite":
        return ["?"] * count
    return [f"${i}" for i in range(start, start + count)]


def json_param(dialect: str, value: Any) -> str | None:
    """JSON values are sent as text on both databases (cast to jsonb in the SQL)."""
    return None if value is None else orjson.dumps(value).decode()


def json_value(value: Any) -> Any:
    """A JSON column read back: text on SQLite, text or decoded on PostgreSQL."""
    if value is None or not isinstance(value, str | bytes):
        return value
    return orjson.loads(value)


def time_param(dialect: str, value: datetime | None) -> Any:
    if value is None:
        return None
    return value.isoformat() if dialect == "sqlite" else value


def time_value(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def label_predicate(params: Params, requirement: Requirement, column: str = "labels") -> str:
    """SQL that is true when the row's labels meet ``requirement``."""
    key = requirement.key

    json_path = f'$."{key}"'

    def value() -> str:
        if params.dialect == "sqlite":
            return f"json_extract({column}, {params(json_path)})"
        return f"({column} ->> {params(key)})"

    def present() -> str:
        if params.dialect == "sqlite":
            return f"json_type({column}, {params(json_path)}) IS NOT NULL"
        return f"jsonb_exists({column}, {params(key)})"

    match requirement.operator:
        case Operator.EXISTS:
            return present()
        case Operator.DOES_NOT_EXIST:
            return f"NOT ({present()})"
        case Operator.EQUALS | Operator.IN if params.dialect == "postgres":
            # Containment is what the GIN index on labels serves.
            contained = [f"{column} @> {params.json({key: v})}" for v in requirement.values]
            return f"({' OR '.join(contained)})" if contained else "1 = 0"
        case Operator.EQUALS | Operator.IN:
            column_value = value()
            options = ", ".join(params(v) for v in requirement.values)
            return f"{column_value} IN ({options})"
        case Operator.NOT_EQUALS | Operator.NOT_IN:
            # A missing label is "not equal"; chr(1) can never be a label value.
            column_value = f"COALESCE({value()}, {params(ABSENT)})"
            options = ", ".join(params(v) for v in requirement.values)
            return f"{column_value} NOT IN ({options})"


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_predicate(params: Params, column: str, text: str) -> str:
    operator = "LIKE" if params.dialect == "sqlite" else "ILIKE"
    return f"{column} {operator} {params(like_pattern(text))} ESCAPE '\\'"
