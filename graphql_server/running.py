"""Running a command's event loop so that SIGINT and SIGTERM always end it quickly.

Every command's coroutine runs under :func:`run`. The first signal asks the command
to stop: a hook may stop it gracefully (a running server finishes its requests),
otherwise the coroutine is cancelled and :class:`Interrupted` is raised. Whatever
the command was doing (opening a database, waiting on a lock, a thread stuck in a
library), the process exits at most :data:`GRACE` seconds after that signal, and at
once on a second one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIGURATION = 2
EXIT_INTERRUPTED = 130

GRACE = 8.0
"""Seconds between the first signal and a forced exit."""

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """The command was stopped by a signal before it finished (or finished starting)."""


def run(
    main: Callable[[], Coroutine[Any, Any, T]],
    *,
    on_signal: Callable[[], bool] | None = None,
) -> T:
    """Run ``main()``; ``on_signal`` returns True when it has begun a graceful stop.

    The signal handlers are plain ``signal`` handlers, not the loop's: they run even
    while the loop is busy with synchronous work (seeding a demo cluster), so the
    deadline is armed at once whatever the loop is doing.
    """
    received: list[int] = []

    async def guarded() -> T:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        def stop() -> None:
            if on_signal is None or not on_signal():
                task.cancel()

        def handle(signum: int, frame: object) -> None:
            if received:
                _exit_now()
            received.append(signum)
            _arm_deadline()
            loop.call_soon_threadsafe(stop)

        def report(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            if received:  # what an interrupted library left behind is no news
                log.debug("after the interrupt: %s", context.get("message"))
                return
            loop.default_exception_handler(context)

        loop.set_exception_handler(report)
        previous = {}
        if threading.current_thread() is threading.main_thread():  # signals reach it only
            previous = {signum: signal.signal(signum, handle) for signum in SIGNALS}
        try:
            return await main()
        except asyncio.CancelledError:
            if received:
                raise Interrupted(signal.Signals(received[0]).name) from None
            raise
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    try:
        return asyncio.run(guarded())
    except KeyboardInterrupt:  # before the handlers were installed
        raise Interrupted("SIGINT") from None


def _arm_deadline() -> None:
    timer = threading.Timer(GRACE, _exit_now)
    timer.daemon = True
    timer.start()


def _exit_now() -> None:
    sys.stderr.write("graphql-server: interrupted\n")
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)
