"""The one backoff and retry helper: delays, jitter bounds, which errors are retried."""

from __future__ import annotations

import time

import pytest

from graphql_server.retrying import Backoff, Jitter, retry


def test_delays_double_up_to_the_maximum_without_jitter() -> None:
    backoff = Backoff(0.2, 2.0, Jitter.NONE)
    assert [backoff.next_delay() for _ in range(6)] == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    backoff.reset()
    assert backoff.next_delay() == 0.2


def test_defaults_are_about_a_second_to_thirty() -> None:
    backoff = Backoff()
    assert (backoff.initial, backoff.maximum, backoff.jitter) == (0.8, 30.0, Jitter.FULL)


def test_full_jitter_stays_between_initial_and_the_ceiling() -> None:
    backoff = Backoff(1.0, 8.0)
    for attempt in range(20):
        ceiling = min(8.0, 2.0**attempt)
        assert 1.0 <= backoff.next_delay() <= ceiling


def test_spread_jitter_stays_within_a_fifth_of_the_ceiling() -> None:
    backoff = Backoff(0.1, 5.0, Jitter.SPREAD)
    for attempt in range(20):
        ceiling = min(5.0, 0.1 * 2**attempt)
        assert 0.8 * ceiling <= backoff.next_delay() <= 1.2 * ceiling


def test_many_attempts_do_not_overflow() -> None:
    backoff = Backoff(0.5, 3.0, Jitter.NONE)
    backoff.attempt = 5000
    assert backoff.next_delay() == 3.0


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="0 < initial <= maximum"):
        Backoff(0.0, 1.0)
    with pytest.raises(ValueError, match="0 < initial <= maximum"):
        Backoff(2.0, 1.0)


async def test_retry_returns_once_the_step_succeeds_and_reports_each_wait() -> None:
    calls: list[int] = []
    waits: list[tuple[str, float]] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError(f"attempt {len(calls)}")
        return "done"

    result = await retry(
        flaky,
        Backoff(0.01, 0.02, Jitter.NONE),
        errors=ConnectionError,
        on_retry=lambda exc, delay: waits.append((str(exc), delay)),
    )
    assert result == "done"
    assert waits == [("attempt 1", 0.01), ("attempt 2", 0.02)]


async def test_errors_not_listed_propagate_at_once() -> None:
    calls: list[int] = []

    async def broken() -> None:
        calls.append(1)
        raise KeyError("no")

    with pytest.raises(KeyError):
        await retry(broken, Backoff(0.01, 0.01), errors=ConnectionError)
    assert len(calls) == 1


async def test_when_decides_whether_an_error_is_worth_another_attempt() -> None:
    seen: list[str] = []

    async def step() -> None:
        raise ValueError(f"try {len(seen)}")

    async def transient(exc: BaseException) -> bool:
        seen.append(str(exc))
        return len(seen) < 3

    with pytest.raises(ValueError, match="try 2"):
        await retry(step, Backoff(0.01, 0.01), when=transient)
    assert seen == ["try 0", "try 1", "try 2"]


async def test_a_wait_past_the_deadline_propagates_the_error() -> None:
    calls: list[int] = []

    async def down() -> None:
        calls.append(1)
        raise ConnectionError("down")

    started = time.monotonic()
    with pytest.raises(ConnectionError):
        await retry(down, Backoff(0.05, 0.05, Jitter.NONE), deadline=time.monotonic() + 0.12)
    assert len(calls) == 3  # waits end at +0.05 and +0.10; a third would pass the deadline
    assert time.monotonic() - started < 1.0


async def test_sleep_waits_the_delay_it_returns() -> None:
    backoff = Backoff(0.02, 0.02, Jitter.NONE)
    started = time.monotonic()
    assert await backoff.sleep() == 0.02
    assert time.monotonic() - started >= 0.02
