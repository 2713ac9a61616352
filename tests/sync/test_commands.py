"""Sync commands arrive typed: parsed once, answered through a table."""

from __future__ import annotations

import pytest

from graphql_server.errors import BadInput
from graphql_server.events import ClusterCommand
from graphql_server.sync.commands import (
    Announce,
    Command,
    CommandTable,
    Reconcile,
    Resync,
    parse_command,
)


def test_actions_become_typed_commands() -> None:
    assert parse_command(ClusterCommand("resync", "c-1")) == Resync("c-1")
    assert parse_command(ClusterCommand("announce", "*")) == Announce("*")
    connect = ClusterCommand("connect", "", {"connection_id": "k-1"})
    assert parse_command(connect) == Reconcile("connect", "k-1")


def test_bad_commands_are_refused_with_a_reason() -> None:
    with pytest.raises(BadInput, match="unknown sync command 'explode'"):
        parse_command(ClusterCommand("explode", "c-1"))
    with pytest.raises(BadInput, match="purge names no connection"):
        parse_command(ClusterCommand("purge", "c-1"))


async def test_the_table_sends_each_command_to_its_handler() -> None:
    seen: list[Command] = []

    async def record(command: Command) -> None:
        seen.append(command)

    table = CommandTable(resync=record, reconcile=record)
    for command in (Resync("c-1"), Announce("c-1"), Reconcile("purge", "k-1")):
        await table.dispatch(command)
    assert seen == [Resync("c-1"), Reconcile("purge", "k-1")]  # nobody announces here
