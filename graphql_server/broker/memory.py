"""The embedded, in-process broker: fan-out to bounded mailboxes in one event loop."""

from __future__ import annotations

from graphql_server.broker.base import DEFAULT_MAILBOX, Broker, Overflows, Subscription


class InProcessBroker(Broker):
    def __init__(self) -> None:
        self._topics: dict[str, set[Subscription]] = {}
        self._overflows = Overflows()

    @property
    def overflows(self) -> Overflows:
        return self._overflows

    async def publish(self, topic: str, message: object) -> None:
        self.publish_nowait(topic, message)

    def publish_nowait(self, topic: str, message: object) -> None:
        for subscription in tuple(self._topics.get(topic, ())):
            subscription.offer(message)

    def subscribe(self, topic: str, maxsize: int = DEFAULT_MAILBOX) -> Subscription:
        subscription = Subscription(topic, maxsize, self._forget, self._overflows)
        self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._topics.get(topic, ()))
        return sum(len(subs) for subs in self._topics.values())

    async def stop(self) -> None:
        for subscriptions in list(self._topics.values()):
            for subscription in list(subscriptions):
                subscription.close()

    def _forget(self, subscription: Subscription) -> None:
        subscriptions = self._topics.get(subscription.topic)
        if subscriptions is not None:
            subscriptions.discard(subscription)
            if not subscriptions:
                del self._topics[subscription.topic]
