"""The collector settings of a long-running process: what start-up built is frozen
out of later collections, and young collections are rarer than CPython's default."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from graphql_server import collector


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored")
def test_tune_freezes_the_start_up_heap_and_raises_the_thresholds() -> None:
    gc.unfreeze()
    kept = [object() for _ in range(10)]  # noqa: F841 - something start-up built
    collector.tune()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (collector.YOUNG, collector.MIDDLE, collector.OLD)
    assert collector.YOUNG > 700  # CPython's default young threshold
