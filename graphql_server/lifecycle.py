"""The connection state machine: statuses, the transition table and transition planning.

This module owns which status a connection may move to from which, and what a move
means for the rest of the system (start or stop syncing, purge the inventory). It is
pure: no I/O, no clock, no store. It must not persist anything or talk to a cluster;
the store applies a planned :class:`Transition` and the sync supervisor reacts to its
:attr:`Transition.side_effects`.

The table extends the reference's so that no connection can get stuck:

* ``DISCOVERED -> CONNECTED`` and ``IGNORED -> CONNECTED``: registering an element whose
  connectivity test passes lands directly in CONNECTED, in one atomic step.
* ``DISCOVERED -> IGNORED``: an element can be dismissed without registering it first.
* ``REGISTERED -> NOT_FOUND``: a registered element can vanish before it ever connected;
  without this edge it stayed REGISTERED forever.
* ``REGISTERED -> DELETED`` and ``REGISTERED -> DISCONNECTED``: a registration that never
  connected can be removed, or parked so that nothing retries it.
* ``CONNECTED -> REGISTERED``: the connection still exists but its connectivity test no
  longer passes (credential revoked, RBAC changed); syncing stops, the registration stays.
* ``DISCONNECTED -> REGISTERED, NOT_FOUND, IGNORED``: a reconnect whose test fails keeps
  the registration; an element removed while disconnected can be marked as gone; and it
  can be ignored without being connected first.
* ``NOT_FOUND -> REGISTERED, CONNECTED``: an element that reappears keeps its earlier
  registration (and credential) instead of starting over as DISCOVERED.
* Requesting the current status is a no-op (``changed=False``), never an error, so a
  redundant "connect" on a CONNECTED connection succeeds.

IGNORED and MAINTENANCE are operator decisions; discovery cannot override them (no edge
to NOT_FOUND). DELETED is terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from graphql_server.errors import BadInput, InvalidTransition

__all__ = [
    "TRANSITIONS",
    "ConnectionStatus",
    "SideEffect",
    "Transition",
    "allowed_transitions",
    "is_allowed",
    "is_terminal",
    "parse_status",
    "plan_transition",
]


class ConnectionStatus(StrEnum):
    DISCOVERED = "discovered"
    REGISTERED = "registered"
    CONNECTED = "connected"
    IGNORED = "ignored"
    MAINTENANCE = "maintenance"
    DISCONNECTED = "disconnected"
    DELETED = "deleted"
    NOT_FOUND = "not_found"


class SideEffect(StrEnum):
    """What the rest of the system must do when a transition is applied."""

    START_SYNC = "start_sync"
    """Entering CONNECTED: start watching the connection."""
    STOP_SYNC = "stop_sync"
    """Leaving CONNECTED: stop watching; the inventory rows become stale."""
    PURGE_INVENTORY = "purge_inventory"
    """Entering DELETED: remove the connection's inventory rows."""


_S = ConnectionStatus

TRANSITIONS: Mapping[ConnectionStatus, frozenset[ConnectionStatus]] = MappingProxyType(
    {
        _S.DISCOVERED: frozenset(
            {_S.REGISTERED, _S.CONNECTED, _S.IGNORED, _S.NOT_FOUND, _S.DELETED}
        ),
        _S.REGISTERED: frozenset(
            {_S.CONNECTED, _S.IGNORED, _S.NOT_FOUND, _S.DISCONNECTED, _S.DELETED}
        ),
        _S.CONNECTED: frozenset(
            {_S.DISCONNECTED, _S.REGISTERED, _S.MAINTENANCE, _S.IGNORED, _S.NOT_FOUND, _S.DELETED}
        ),
        _S.IGNORED: frozenset({_S.REGISTERED, _S.CONNECTED, _S.DELETED}),
        _S.MAINTENANCE: frozenset({_S.CONNECTED, _S.DISCONNECTED, _S.DELETED}),
        _S.DISCONNECTED: frozenset(
            {_S.CONNECTED, _S.REGISTERED, _S.IGNORED, _S.NOT_FOUND, _S.DELETED}
        ),
        _S.NOT_FOUND: frozenset({_S.DISCOVERED, _S.REGISTERED, _S.CONNECTED, _S.DELETED}),
        _S.DELETED: frozenset(),
    }
)
"""For each status, the statuses it may move to (excluding itself, which is a no-op)."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A validated move from ``source`` to ``target``; ``changed`` is False for a no-op."""

    source: ConnectionStatus
    target: ConnectionStatus
    changed: bool
    side_effects: tuple[SideEffect, ...] = ()

    @property
    def needs_connectivity_test(self) -> bool:
        """Entering CONNECTED must be backed by a passing connectivity test."""
        return self.changed and self.target is ConnectionStatus.CONNECTED


def parse_status(value: ConnectionStatus | str) -> ConnectionStatus:
    """Accept a status or its value or name in any case (``"not_found"``, ``"NOT_FOUND"``)."""
    if isinstance(value, ConnectionStatus):
        return value
    normalized = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return ConnectionStatus(normalized)
    except ValueError:
        known = ", ".join(s.name for s in ConnectionStatus)
        raise BadInput(
            f"unknown connection status {value!r}; expected one of {known}", field="status"
        ) from None


def allowed_transitions(status: ConnectionStatus | str) -> frozenset[ConnectionStatus]:
    return TRANSITIONS[parse_status(status)]


def is_allowed(current: ConnectionStatus | str, target: ConnectionStatus | str) -> bool:
    """True when ``target`` is reachable from ``current`` in one step or is ``current``."""
    source, goal = parse_status(current), parse_status(target)
    return source is goal or goal in TRANSITIONS[source]


def is_terminal(status: ConnectionStatus | str) -> bool:
    return not TRANSITIONS[parse_status(status)]


def _side_effects(source: ConnectionStatus, target: ConnectionStatus) -> tuple[SideEffect, ...]:
    effects: list[SideEffect] = []
    if source is ConnectionStatus.CONNECTED:
        effects.append(SideEffect.STOP_SYNC)
    if target is ConnectionStatus.CONNECTED:
        effects.append(SideEffect.START_SYNC)
    if target is ConnectionStatus.DELETED:
        effects.append(SideEffect.PURGE_INVENTORY)
    return tuple(effects)


def plan_transition(current: ConnectionStatus | str, target: ConnectionStatus | str) -> Transition:
    """Validate a requested move; raise :class:`InvalidTransition` when the table forbids it."""
    source, goal = parse_status(current), parse_status(target)
    if source is goal:
        return Transition(source=source, target=goal, changed=False)
    allowed = TRANSITIONS[source]
    if goal not in allowed:
        targets = ", ".join(sorted(s.name for s in allowed)) or "none (terminal status)"
        raise InvalidTransition(
            f"cannot move a connection from {source.name} to {goal.name}; "
            f"allowed from {source.name}: {targets}",
            source=source.value,
            target=goal.value,
            allowed=sorted(s.value for s in allowed),
        )
    return Transition(
        source=source, target=goal, changed=True, side_effects=_side_effects(source, goal)
    )
