"""What every resolver receives: the stores, the broker and the settings of this process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql_server.broker import Broker
from graphql_server.settings import Settings
from graphql_server.store import Store


@dataclass(slots=True)
class Services:
    """Long-lived objects the API works with, built once by the app."""

    settings: Settings
    store: Store
    broker: Broker


@dataclass(slots=True)
class Context:
    """Per operation: the services plus the transport's request and response."""

    services: Services
    request: Any = None
    response: Any = None

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def broker(self) -> Broker:
        return self.services.broker
