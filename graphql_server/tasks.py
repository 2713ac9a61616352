"""Named background tasks with an owner.

Every long-running task of the process is started through a ``TaskOwner``,
which names it, logs how it ended if it ended by itself, and cancels whatever
is left when its owner stops. There are no fire-and-forget tasks.

A task the process cannot do without is *kept* (:meth:`TaskOwner.keep`): when it
dies of an error it is logged with its traceback, counted in the owner's
:class:`TaskRestarts` (by task name), and started again after a backoff delay,
never left dead. One that returns has finished its work.

The process creates one ``TaskRestarts`` and hands it to the owners it starts and
to the metrics, which read it at scrape time; an owner given none counts in its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from graphql_server.retrying import Backoff

log = logging.getLogger(__name__)

RESTART_BACKOFF = (1.0, 60.0)
HEALTHY_RUN = 60.0  # a task that ran this long before dying restarts without delay growth
CANCEL_AGAIN = 5.0  # seconds a cancelled task has to end before it is cancelled again


class TaskRestarts:
    """Restarts of kept tasks, by task name (``owner:name``).

    Written only when a kept task dies; read by the metrics (``snapshot``).
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def died(self, name: str) -> None:
        self.counts[name] += 1

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)


class TaskOwner:
    def __init__(self, name: str, restarts: TaskRestarts | None = None) -> None:
        self.name = name
        self.restarts = restarts if restarts is not None else TaskRestarts()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    def spawn(self, name: str, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        if self._closing:
            coroutine.close()
            raise RuntimeError(f"{self.name} is stopping; cannot start {name}")
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def keep(
        self,
        name: str,
        start: Callable[[], Coroutine[Any, Any, Any]],
        backoff: Backoff | None = None,
    ) -> asyncio.Task[Any]:
        """Run ``start()`` as a task, and again each time it dies of an error."""
        delays = backoff or Backoff(*RESTART_BACKOFF)
        return self.spawn(name, self._kept(f"{self.name}:{name}", start, delays))

    async def _kept(
        self, name: str, start: Callable[[], Coroutine[Any, Any, Any]], backoff: Backoff
    ) -> None:
        while True:
            began = time.monotonic()
            try:
                await start()
                return
            except Exception as exc:
                if time.monotonic() - began >= HEALTHY_RUN:
                    backoff.reset()
                delay = backoff.next_delay()
                self.restarts.died(name)
                log.error(
                    "task %s died (%s); restarting it in %.1fs",
                    name,
                    str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__,
                    delay,
                    exc_info=exc,
                )
            await asyncio.sleep(delay)  # the backoff before the restart

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or self._closing:
            return
        error = task.exception()
        if error is not None:
            log.error("task %s died", task.get_name(), exc_info=error)
        else:
            log.debug("task %s finished", task.get_name())

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def cancel(self, task: asyncio.Task[Any]) -> None:
        await _cancelled({task})

    async def close(self) -> None:
        """Cancel every task still running and wait for all of them to end."""
        self._closing = True
        await _cancelled(set(self._tasks))
        self._tasks.clear()


async def _cancelled(tasks: set[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until they end, cancelling again any that go on.

    A library call that waits with ``asyncio.wait_for`` can swallow a cancellation on
    Python 3.11 when its result arrives in the same turn of the loop (nats-py's
    requests do): the task goes on as if never cancelled. Asking again ends it.
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=CANCEL_AGAIN)
        if pending:
            log.info(
                "cancelling again: %s",
                ", ".join(sorted(task.get_name() for task in pending)),
            )
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: its owner logged it when it ended
