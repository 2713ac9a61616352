"""Named background tasks with an owner.

Every long-running task of the process is started through a ``TaskOwner``,
which names it, logs how it ended if it ended by itself, and cancels whatever
is left when its owner stops. There are no fire-and-forget tasks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskOwner:
    def __init__(self, name: str) -> None:
        self.name = name
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
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        """Cancel every task still running and wait for all of them to end."""
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
