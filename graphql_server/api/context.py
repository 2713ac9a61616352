"""What every resolver receives: the stores, the broker and the settings of this process,
as a typed ``Info`` (``info.context`` is a :class:`Context`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from graphql_server.api.auth import Access
from graphql_server.api.registry.fingerprints import Fingerprints
from graphql_server.api.transport.fanout import Feeds
from graphql_server.api.transport.sharing import SharedStreams
from graphql_server.broker import Broker
from graphql_server.registry import Registry
from graphql_server.services.records import Store
from graphql_server.settings import Settings
from graphql_server.tasks import TaskRestarts


@dataclass(slots=True)
class Services:
    """Long-lived objects the API works with, built once by the app."""

    settings: Settings
    store: Store
    broker: Broker
    feeds: Feeds | None = None  # shared subscription feeds, owned by the app lifespan
    streams: SharedStreams | None = None  # shared subscription executions, likewise
    registry: Registry = field(default_factory=Registry.with_builtins)
    restarts: TaskRestarts = field(default_factory=TaskRestarts)  # the process's kept tasks
    fingerprints: Fingerprints = field(init=False)

    def __post_init__(self) -> None:
        self.fingerprints = Fingerprints(self.registry)


@dataclass(slots=True)
class Context:
    """Per operation: the services plus the transport's request and response."""

    services: Services
    request: Any = None
    response: Any = None
    access: Access | None = None  # what the client's token grants (None: no valid token)
    connection_params: dict[str, Any] | None = None  # websocket connection_init payload

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def broker(self) -> Broker:
        return self.services.broker


Info = strawberry.Info[Context, None]
"""What every resolver takes: ``info.context`` is a typed :class:`Context`."""
