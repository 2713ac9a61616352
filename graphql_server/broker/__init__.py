"""Publish/subscribe between the writer, the mutations and the subscribers."""

from graphql_server.broker.base import Broker, Subscription
from graphql_server.broker.memory import InProcessBroker

__all__ = ["Broker", "InProcessBroker", "Subscription"]
