"""Kubernetes label selectors: parsing and matching.

The selector grammar of ``kubectl -l``: ``key=value``, ``key==value``,
``key!=value``, ``key in (a,b)``, ``key notin (a,b)``, ``key`` (exists) and
``!key`` (does not exist), joined by commas. Parsing is strict: anything else
is a ``BadInput`` naming what is wrong. Matching works on a plain dict; the
store turns the same requirements into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from graphql_server.errors import BadInput

_KEY = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]{0,252}/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?"
_KEY_RE = re.compile(_KEY)
_VALUE_RE = re.compile(_VALUE)
_TOKEN = re.compile(
    rf"\s*(?:(?P<not>!)\s*(?P<nkey>{_KEY})"
    rf"|(?P<key>{_KEY})\s*(?:(?P<op>==|=|!=)\s*(?P<value>{_VALUE})"
    rf"|\s(?P<setop>in|notin)\s*\((?P<values>[^()]*)\))?)\s*(?:,|$)"
)


class Operator(StrEnum):
    EQUALS = "="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        match self.operator:
            case Operator.EQUALS | Operator.IN:
                return labels.get(self.key) in self.values
            case Operator.NOT_EQUALS | Operator.NOT_IN:
                return labels.get(self.key) not in self.values
            case Operator.EXISTS:
                return self.key in labels
            case Operator.DOES_NOT_EXIST:
                return self.key not in labels


@dataclass(frozen=True, slots=True)
class Selector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        present = labels or {}
        return all(r.matches(present) for r in self.requirements)

    def __bool__(self) -> bool:
        return bool(self.requirements)


def parse_selector(text: str | None) -> Selector:
    """Parse a label selector; an empty or missing one selects everything."""
    if text is None or not text.strip():
        return Selector(())
    if len(text) > 4096:
        raise BadInput("label selector is too long (at most 4096 characters)")
    requirements: list[Requirement] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise BadInput(f"invalid label selector near {text[position : position + 40]!r}")
        position = match.end()
        requirements.append(_requirement(match))
    return Selector(tuple(requirements))


def _requirement(match: re.Match[str]) -> Requirement:
    if match["not"]:
        return Requirement(match["nkey"], Operator.DOES_NOT_EXIST)
    key = match["key"]
    if match["op"]:
        operator = Operator.NOT_EQUALS if match["op"] == "!=" else Operator.EQUALS
        return Requirement(key, operator, (match["value"],))
    if match["setop"]:
        values = tuple(v.strip() for v in match["values"].split(","))
        for value in values:
            if not _VALUE_RE.fullmatch(value):
                raise BadInput(f"invalid label value {value!r} in selector for {key!r}")
        operator = Operator.IN if match["setop"] == "in" else Operator.NOT_IN
        return Requirement(key, operator, values)
    return Requirement(key, Operator.EXISTS)
