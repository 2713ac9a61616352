"""Background tasks that die are restarted with backoff, counted and logged; never left dead."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from graphql_server.metrics.collectors import TaskCollector
from graphql_server.retrying import Backoff, Jitter
from graphql_server.tasks import TaskOwner, TaskRestarts
from tests.helpers import until


async def test_a_kept_task_that_dies_is_restarted_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    restarts = TaskRestarts()
    owner = TaskOwner("test-owner", restarts)
    starts: list[float] = []
    working = asyncio.Event()

    async def flaky() -> None:
        starts.append(asyncio.get_running_loop().time())
        if len(starts) <= 3:
            raise RuntimeError(f"failure {len(starts)}")
        working.set()
        await asyncio.Event().wait()  # runs until cancelled

    with caplog.at_level(logging.ERROR, logger="graphql_server.tasks"):
        task = owner.keep("flaky", flaky, Backoff(0.05, 0.2, Jitter.NONE))
        await asyncio.wait_for(working.wait(), 5)
    assert not task.done()
    assert len(starts) == 4
    assert restarts.snapshot() == {"test-owner:flaky": 3}
    # The delays grew: 0.05, 0.1, 0.2 (the backoff, not a tight loop).
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert gaps[0] >= 0.04
    assert gaps[2] >= 0.18
    died = [r for r in caplog.records if "died" in r.getMessage()]
    assert len(died) == 3
    assert "failure 1" in died[0].getMessage()
    assert died[0].exc_info is not None  # the traceback is in the log
    metric = next(iter(TaskCollector(restarts).collect()))
    assert any(
        sample.labels == {"task": "test-owner:flaky"} and sample.value == 3
        for sample in metric.samples
    )
    await owner.close()
    assert task.cancelled()


async def test_a_kept_task_that_returns_has_finished() -> None:
    owner = TaskOwner("test-owner")
    runs: list[int] = []

    async def once() -> None:
        runs.append(1)

    task = owner.keep("once", once, Backoff(0.01, 0.02))
    await until(task.done, 5, "the task finishes")
    assert runs == [1]
    assert owner.running == 0
    await owner.close()


@pytest.mark.parametrize("stop", ["close", "cancel"])
async def test_a_task_that_swallows_a_cancellation_is_cancelled_again(stop: str) -> None:
    """On Python 3.11 ``asyncio.wait_for`` (inside nats-py's requests, for one) returns
    its result instead of raising when a cancellation arrives with it: the task goes on.
    Stopping its owner must still end it."""
    owner = TaskOwner("test-owner")
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            swallowed.set()  # as wait_for does when its result arrived in the same turn
        await asyncio.Event().wait()

    task = owner.keep("stubborn", stubborn)
    await asyncio.sleep(0)
    async with asyncio.timeout(10):
        await (owner.close() if stop == "close" else owner.cancel(task))
    assert swallowed.is_set()
    assert task.cancelled()
    assert owner.running == 0
