"""The precedence rule: which of several models' components wins a (apiVersion, kind).

Tiers, in order, each deciding only when the previous ones tie:

1. source: IMPORTED over BUILTIN over GENERATED;
2. the model's explicit ``priority``: higher wins;
3. the model's name: lexicographically smaller wins;
4. the model's version: newer wins (numeric release order, a release over its
   pre-releases; versions that are not numeric sort below numeric ones, then by text).

Owns the rule and the ``ResolvedComponent`` that shows it (the winner, every candidate,
and the tier that decided against each loser). Must not hold state: ``catalog`` calls
``rank`` when definitions change, never per lookup.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from graphql_server.registry.definitions import Component, ComponentKey, Model, Source

_RELEASE = re.compile(r"[vV]?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


class Tier(StrEnum):
    SOURCE = "SOURCE"
    PRIORITY = "PRIORITY"
    NAME = "NAME"
    VERSION = "VERSION"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One model's component for the key; ``lost_on`` is None for the winner."""

    model: Model
    component: Component
    lost_on: Tier | None = None

    @property
    def won(self) -> bool:
        return self.lost_on is None


@dataclass(frozen=True, slots=True)
class ResolvedComponent:
    """The winning component of a key, with all candidates best first."""

    key: ComponentKey
    model: Model
    component: Component
    candidates: tuple[Candidate, ...]

    @property
    def generated(self) -> bool:
        return self.model.source is Source.GENERATED

    @property
    def explanation(self) -> str:
        winner = _describe(self.model)
        if len(self.candidates) == 1:
            return f"{winner} is the only model defining {self.key.kind} ({self.key.api_version})"
        reasons = [
            f"over {_describe(c.model)} by {_TIER_TEXT[c.lost_on]}"
            for c in self.candidates
            if c.lost_on is not None
        ]
        return f"{winner} wins " + ", ".join(reasons)


_TIER_TEXT = {
    Tier.SOURCE: "source (IMPORTED > BUILTIN > GENERATED)",
    Tier.PRIORITY: "higher priority",
    Tier.NAME: "model name order",
    Tier.VERSION: "newer model version",
}


def _describe(model: Model) -> str:
    source = model.source.value.lower()
    return f"{source} model {model.name!r} {model.version} (priority {model.priority})"


def version_order(version: str) -> tuple[int, tuple[int, ...], int, str]:
    """A sort key where larger means newer."""
    match = _RELEASE.fullmatch(version)
    if match is None:
        return (0, (), 0, version)
    numbers = tuple(int(part) for part in match.group(1).split("."))
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers = numbers[:-1]
    prerelease = match.group(2)
    return (1, numbers, 0 if prerelease else 1, prerelease or "")


def deciding_tier(a: Model, b: Model) -> tuple[Tier, int] | None:
    """The first tier where ``a`` and ``b`` differ and its verdict (<0: ``a`` wins), or None."""
    if a.source is not b.source:
        return Tier.SOURCE, b.source.rank - a.source.rank
    if a.priority != b.priority:
        return Tier.PRIORITY, b.priority - a.priority
    if a.name != b.name:
        return Tier.NAME, -1 if a.name < b.name else 1
    va, vb = version_order(a.version), version_order(b.version)
    if va != vb:
        return Tier.VERSION, -1 if va > vb else 1
    if a.version != b.version:
        return Tier.VERSION, -1 if a.version < b.version else 1
    return None


def _compare(a: tuple[Model, Component], b: tuple[Model, Component]) -> int:
    decided = deciding_tier(a[0], b[0])
    return 0 if decided is None else decided[1]


def rank(key: ComponentKey, providers: Iterable[tuple[Model, Component]]) -> ResolvedComponent:
    """Order the providers of one key by the precedence rule; there must be at least one."""
    ordered = sorted(providers, key=functools.cmp_to_key(_compare))
    winner_model, winner_component = ordered[0]
    candidates = [Candidate(winner_model, winner_component)]
    for model, component in ordered[1:]:
        decided = deciding_tier(winner_model, model)
        candidates.append(Candidate(model, component, decided[0] if decided else Tier.VERSION))
    return ResolvedComponent(key, winner_model, winner_component, tuple(candidates))
