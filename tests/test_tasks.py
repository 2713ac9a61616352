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
