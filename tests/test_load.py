"""The load test in its short form: 200 websocket subscribers and a steady query load
while the simulator churns, against the real server process; zero errors, and every
subscriber receives events. Timings are reported by ``bench/load_test.py``, not asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load_test import LoadOptions, run


@pytest.mark.slow
async def test_subscribers_and_queries_under_churn(tmp_path: Path) -> None:
    options = LoadOptions(subscribers=200, seconds=8, qps=20, churn=20, objects=300, warmup=2)
    report = await run(options, tmp_path)
    assert report.errors == []
    assert len(report.events_per_subscriber) == 200
    assert min(report.events_per_subscriber) > 0
    assert len(report.query_latencies) >= 8 * 20 * 0.8
    assert report.rss_warm_mb > 0
