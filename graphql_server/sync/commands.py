"""Commands to the sync side, typed, and the table that answers them.

Owns turning a ``ClusterCommand`` from the broker into one of :data:`Command`
(``Resync``, ``Announce``, or ``Reconcile`` for the connection-lifecycle actions),
the :class:`CommandTable` that maps each command type to its handler (built once by
whoever runs the sync: the embedded service, a scale-out replica, an agent), and
:func:`serve_commands`, the listening loop. A command nobody answers here is logged
and skipped; a handler's ``GraphQLServerError`` is logged, never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from graphql_server.broker import Broker
from graphql_server.errors import BadInput, GraphQLServerError
from graphql_server.events import COMMANDS_TOPIC, ClusterCommand

log = logging.getLogger(__name__)

ALL_CLUSTERS = "*"  # a cluster id standing for every cluster a process syncs
RECONCILE_ACTIONS = frozenset({"connect", "disconnect", "purge"})


@dataclass(frozen=True, slots=True)
class Resync:
    """Relist every type of a cluster (or of every cluster: ``ALL_CLUSTERS``)."""

    cluster_id: str


@dataclass(frozen=True, slots=True)
class Announce:
    """Say again what is watched, for a store writer that just took over."""

    cluster_id: str


@dataclass(frozen=True, slots=True)
class Reconcile:
    """A Kubernetes connection changed (``connect``, ``disconnect``, ``purge``): look again."""

    action: str
    connection_id: str


Command = Resync | Announce | Reconcile


def parse_command(message: ClusterCommand) -> Command:
    if message.action == "resync":
        return Resync(message.cluster_id)
    if message.action == "announce":
        return Announce(message.cluster_id)
    if message.action in RECONCILE_ACTIONS:
        connection_id = message.args.get("connection_id")
        if not isinstance(connection_id, str) or not connection_id:
            raise BadInput(f"sync command {message.action} names no connection")
        return Reconcile(message.action, connection_id)
    raise BadInput(f"unknown sync command {message.action!r}")


@dataclass(frozen=True, slots=True)
class CommandTable:
    """Who answers each command type in this process; ``None``: not answered here."""

    resync: Callable[[Resync], Awaitable[None]]
    announce: Callable[[Announce], Awaitable[None]] | None = None
    reconcile: Callable[[Reconcile], Awaitable[None]] | None = None

    async def dispatch(self, command: Command) -> None:
        match command:
            case Resync():
                await self.resync(command)
            case Announce():
                if self.announce is not None:
                    await self.announce(command)
            case Reconcile():
                if self.reconcile is not None:
                    await self.reconcile(command)


async def serve_commands(broker: Broker, table: CommandTable) -> None:
    async with broker.subscribe(COMMANDS_TOPIC) as commands:
        async for message in commands:
            if not isinstance(message, ClusterCommand):
                continue
            try:
                await table.dispatch(parse_command(message))
            except GraphQLServerError as exc:
                log.warning(
                    "command %s failed: %s",
                    message.action,
                    exc.message,
                    extra={"cluster_id": message.cluster_id},
                )
