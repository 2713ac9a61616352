"""Retrying with exponential backoff: the one place delays between attempts are computed.

Owns :class:`Backoff` (the delay before each next attempt, doubling from ``initial``
up to ``maximum``, with a choice of jitter) and :func:`retry` (run a step until it
succeeds, sleeping a backoff delay between failures). Callers keep their own
logging through ``on_retry`` and decide which errors are worth another attempt
through ``errors`` and ``when``. Standard library only; knows nothing about what
is retried and must not log by itself.
"""

from __future__ import annotations

import asyncio
import enum
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class Jitter(enum.Enum):
    """How a delay is spread around its exponential ceiling."""

    FULL = "full"  # uniformly between ``initial`` and the ceiling
    NONE = "none"  # exactly the ceiling
    SPREAD = "spread"  # the ceiling, give or take a fifth


class Backoff:
    """Exponential backoff between ``initial`` and ``maximum`` seconds."""

    def __init__(
        self, initial: float = 0.8, maximum: float = 30.0, jitter: Jitter = Jitter.FULL
    ) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError(f"backoff needs 0 < initial <= maximum, got {initial}, {maximum}")
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self.attempt = 0

    def ceiling(self) -> float:
        """The un-jittered delay of the next attempt."""
        return min(self.maximum, self.initial * 2.0 ** min(self.attempt, 64))

    def next_delay(self) -> float:
        ceiling = self.ceiling()
        self.attempt += 1
        if self.jitter is Jitter.FULL:
            return random.uniform(self.initial, ceiling)
        if self.jitter is Jitter.SPREAD:
            return ceiling * random.uniform(0.8, 1.2)
        return ceiling

    async def sleep(self) -> float:
        """Wait the next delay; returns how long that was."""
        delay = self.next_delay()
        await asyncio.sleep(delay)
        return delay

    def reset(self) -> None:
        self.attempt = 0


async def retry(
    step: Callable[[], Awaitable[T]],
    backoff: Backoff,
    *,
    errors: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    when: Callable[[BaseException], Awaitable[bool]] | None = None,
    on_retry: Callable[[BaseException, float], None] | None = None,
    deadline: float | None = None,
) -> T:
    """``await step()`` until it returns, sleeping ``backoff`` delays between failures.

    Only ``errors`` are retried, and of those only the ones ``when`` accepts (others
    propagate at once). ``on_retry(error, delay)`` is told before each wait. With a
    ``deadline`` (``time.monotonic()``), the error propagates instead of a wait that
    would end past it.
    """
    while True:
        try:
            return await step()
        except errors as exc:
            if when is not None and not await when(exc):
                raise
            delay = backoff.next_delay()
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            if on_retry is not None:
                on_retry(exc, delay)
            await asyncio.sleep(delay)
