"""The connection state machine: the whole 8x8 grid, side effects and random walks."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphql_server.errors import BadInput, InvalidTransition
from graphql_server.lifecycle import (
    TRANSITIONS,
    ConnectionStatus,
    SideEffect,
    allowed_transitions,
    is_allowed,
    is_terminal,
    parse_status,
    plan_transition,
)

S = ConnectionStatus

# The intended table, written out independently of the module so a change there must be
# made here on purpose.
EXPECTED: dict[ConnectionStatus, set[ConnectionStatus]] = {
    S.DISCOVERED: {S.REGISTERED, S.CONNECTED, S.IGNORED, S.NOT_FOUND, S.DELETED},
    S.REGISTERED: {S.CONNECTED, S.IGNORED, S.NOT_FOUND, S.DISCONNECTED, S.DELETED},
    S.CONNECTED: {S.DISCONNECTED, S.REGISTERED, S.MAINTENANCE, S.IGNORED, S.NOT_FOUND, S.DELETED},
    S.IGNORED: {S.REGISTERED, S.CONNECTED, S.DELETED},
    S.MAINTENANCE: {S.CONNECTED, S.DISCONNECTED, S.DELETED},
    S.DISCONNECTED: {S.CONNECTED, S.REGISTERED, S.IGNORED, S.NOT_FOUND, S.DELETED},
    S.NOT_FOUND: {S.DISCOVERED, S.REGISTERED, S.CONNECTED, S.DELETED},
    S.DELETED: set(),
}

ALL_PAIRS = list(itertools.product(ConnectionStatus, repeat=2))


def test_there_are_eight_statuses_and_the_table_covers_them() -> None:
    assert len(ConnectionStatus) == 8
    assert set(TRANSITIONS) == set(ConnectionStatus)
    assert {k: set(v) for k, v in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=lambda s: s.name)
def test_every_pair_of_the_grid(source: ConnectionStatus, target: ConnectionStatus) -> None:
    if source is target:
        transition = plan_transition(source, target)
        assert transition.changed is False
        assert transition.side_effects == ()
        assert transition.needs_connectivity_test is False
        assert is_allowed(source, target)
    elif target in EXPECTED[source]:
        transition = plan_transition(source, target)
        assert transition.changed is True
        assert (transition.source, transition.target) == (source, target)
        assert is_allowed(source, target)
    else:
        assert not is_allowed(source, target)
        with pytest.raises(InvalidTransition) as caught:
            plan_transition(source, target)
        assert source.name in caught.value.message
        assert target.name in caught.value.message
        for allowed in EXPECTED[source]:
            assert allowed.name in caught.value.message
        assert caught.value.details["allowed"] == sorted(s.value for s in EXPECTED[source])
        assert caught.value.code == "INVALID_TRANSITION"


def test_deleted_is_terminal_and_says_so() -> None:
    assert is_terminal(S.DELETED)
    assert not any(is_terminal(s) for s in ConnectionStatus if s is not S.DELETED)
    with pytest.raises(InvalidTransition, match="none \\(terminal status\\)"):
        plan_transition(S.DELETED, S.CONNECTED)


def test_the_traps_of_the_reference_are_gone() -> None:
    assert plan_transition(S.REGISTERED, S.NOT_FOUND).changed
    assert plan_transition(S.CONNECTED, S.CONNECTED).changed is False
    assert plan_transition(S.DISCOVERED, S.CONNECTED).changed


def test_no_status_is_a_trap() -> None:
    for status in ConnectionStatus:
        if status is S.DELETED:
            continue
        assert S.DELETED in allowed_transitions(status)
        two_steps = {n for m in TRANSITIONS[status] for n in TRANSITIONS[m]} | TRANSITIONS[status]
        assert status is S.CONNECTED or S.CONNECTED in two_steps


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=lambda s: s.name)
def test_side_effects(source: ConnectionStatus, target: ConnectionStatus) -> None:
    if not is_allowed(source, target):
        return
    effects = plan_transition(source, target).side_effects
    moving = source is not target
    assert (SideEffect.START_SYNC in effects) == (moving and target is S.CONNECTED)
    assert (SideEffect.STOP_SYNC in effects) == (moving and source is S.CONNECTED)
    assert (SideEffect.PURGE_INVENTORY in effects) == (moving and target is S.DELETED)
    assert len(effects) == len(set(effects))


def test_stop_comes_before_purge() -> None:
    assert plan_transition(S.CONNECTED, S.DELETED).side_effects == (
        SideEffect.STOP_SYNC,
        SideEffect.PURGE_INVENTORY,
    )


def test_entering_connected_needs_a_connectivity_test() -> None:
    assert plan_transition(S.REGISTERED, S.CONNECTED).needs_connectivity_test
    assert plan_transition(S.MAINTENANCE, S.CONNECTED).needs_connectivity_test
    assert not plan_transition(S.CONNECTED, S.MAINTENANCE).needs_connectivity_test


@pytest.mark.parametrize(
    "text", ["not_found", "NOT_FOUND", "Not Found", "not-found", " not_found "]
)
def test_parse_status_accepts_values_and_names(text: str) -> None:
    assert parse_status(text) is S.NOT_FOUND
    assert plan_transition(text, "deleted").target is S.DELETED


def test_unknown_status_is_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown connection status 'lost'") as caught:
        plan_transition("connected", "lost")
    assert "DISCOVERED" in caught.value.message


def test_status_values_are_plain_strings() -> None:
    assert S.NOT_FOUND.value == "not_found"
    assert isinstance(S.NOT_FOUND, str)
    assert str(S.CONNECTED) == "connected"


@given(st.lists(st.sampled_from(list(ConnectionStatus)), max_size=60), st.sampled_from(list(S)))
def test_random_requests_never_leave_the_table(
    requests: list[ConnectionStatus], start: ConnectionStatus
) -> None:
    current = start
    for requested in requests:
        try:
            transition = plan_transition(current, requested)
        except InvalidTransition:
            assert requested not in EXPECTED[current]
            assert requested is not current
            continue
        assert transition.source is current
        if transition.changed:
            assert requested in EXPECTED[current]
        else:
            assert requested is current
        current = transition.target
        assert current is requested
    if start is S.DELETED:
        assert current is S.DELETED
