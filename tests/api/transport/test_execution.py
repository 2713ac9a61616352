"""The executor of subscriptions keeps nothing of an event once it is delivered."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator

import strawberry
from graphql import ExecutionResult
from graphql.execution.collect_fields import CollectedFields

from graphql_server.api.transport.execution import PlainObjectsExecutor


@strawberry.type
class Owner:
    name: str


@strawberry.type
class Item:
    name: str
    tags: list[str]
    owner: Owner


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def items(self, n: int) -> AsyncGenerator[Item, None]:
        for i in range(n):
            yield Item(name=f"item-{i}", tags=["a", "b"], owner=Owner(name="o"))


def live_collected_fields() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, CollectedFields))


async def test_a_long_subscription_does_not_keep_its_events() -> None:
    schema = strawberry.Schema(
        query=Query, subscription=Subscription, execution_context_class=PlainObjectsExecutor
    )
    stream = await schema.subscribe("subscription { items(n: 600) { name tags owner { name } } }")
    assert not isinstance(stream, ExecutionResult), stream
    delivered, early, late = 0, 0, 0
    async for result in stream:
        assert not result.errors, result.errors
        assert result.data is not None
        assert result.data["items"]["name"] == f"item-{delivered}"
        delivered += 1
        if delivered == 100:
            early = live_collected_fields()
        if delivered == 600:  # while the subscription still runs
            late = live_collected_fields()
    assert delivered == 600
    # Kept per event, 500 more events would leave a thousand more behind.
    assert late - early < 20, (early, late)
