"""The benchmark runner: it finds every benchmark and reads the figures each one prints."""

from __future__ import annotations

import time
from pathlib import Path

from bench import run as runner

SIMULATOR_OUTPUT = """simulator benchmark: 10,000 objects, 2 CPUs
seeding: 10,000 objects in 0.42 s (23,810/s)   target <= 5 s [ok]
list (in-process, one loop): 10,000 objects, 31 pages in 0.31 s = 32,258 objects/s   target >= 20,000 [ok]
list (separate process): 10,000 objects, 31 pages in 0.40 s = 25,000 objects/s   target >= 20,000 [ok]
watch fan-out to  1 watcher(s): 4,000 events each (4,000 total) in 0.50 s = 8,000 events/s per watcher, 8,000/s delivered (server burst 0.30 s)   target >= 5,000/s [ok]
watch fan-out to 10 watcher(s): 4,000 events each (40,000 total) in 2.00 s = 2,000 events/s per watcher, 20,000/s delivered (server burst 0.30 s)   target >= 5,000/s [BELOW TARGET]
"""  # noqa: E501

API_OUTPUT = """filling the store with 10,000 rows ...
  12,345 rows/s through ResourceStore.apply

resource(id:) over HTTP: 1,234 queries/s (16 concurrent clients, 0 errors)

{ __typename } over HTTP: 2,345 queries/s (16 concurrent clients, 0 errors)

resources(first: 100) on 10,000 rows, 80 KiB:
  GraphQL over HTTP  p50   9.50 ms  p99  20.00 ms
  raw SQL + orjson   p50   2.00 ms  p99   4.00 ms
  (in-process GraphQL execution without HTTP: p50 6.00 ms)
  ratio p50 4.75x, p99 5.00x (target <= 3x)

fan-out to 50 websocket subscribers (burst of 900 events; latency at 100 events/s):
  GraphQL subscription     20,000 deliveries/s  p50   3.00 ms  p99  12.00 ms
  raw websocket            30,000 deliveries/s  p50   1.00 ms  p99   4.00 ms
  ratio 0.67 of the raw broadcast (target >= 0.5)
"""

TABLE_OUTPUT = """machine: 2 cores, Python 3.11.7
figure                                                  value  target
objects in the simulated cluster                        10000
initial sync / floor                                     1.32  <= 1.5
peak RSS above idle (MB)                                 88.0  < 300
changes applied and delivered (per s)                     998  = sent
lag p99 change -> subscriber (ms)                       250.5  < 1000
"""


def figures(script: str, output: str) -> dict[str, runner.Figure]:
    bench = runner.KNOWN.get(script, runner.Bench(script))
    return {f.name: f for f in runner.parse(bench, "sqlite", output)}


def test_prose_figures_of_the_simulator_benchmark() -> None:
    found = figures("simulator_bench.py", SIMULATOR_OUTPUT)
    assert set(found) == {p.name for p in runner.KNOWN["simulator_bench.py"].patterns}
    assert found["list, separate process (objects/s)"].value == 25_000
    assert found["seeding (s)"].value == 0.42
    assert found["seeding (s)"].meets is True
    ten = found["watch events/s per watcher, 10 watchers"]
    assert ten.value == 2_000
    assert ten.meets is False
    assert ten.ratio == 0.4


def test_prose_figures_of_the_api_benchmark() -> None:
    found = figures("api_bench.py", API_OUTPUT)
    assert set(found) == {p.name for p in runner.KNOWN["api_bench.py"].patterns}
    assert found["small query over HTTP (queries/s)"].value == 1234
    assert found["{ __typename } over HTTP (queries/s)"].value == 2345
    older = figures("api_bench.py", "small query over HTTP: 999 queries/s (16 concurrent)")
    assert older["small query over HTTP (queries/s)"].value == 999
    assert found["resources(first: 100) p99 (ms)"].value == 20.0
    assert found["resources(first: 100) / raw SQL, p99"].value == 5.0
    assert found["resources(first: 100) / raw SQL, p99"].meets is False
    assert found["fan-out deliveries/s"].value == 20_000
    assert found["fan-out p99 latency (ms)"].value == 12.0
    assert found["fan-out / raw websocket broadcast"].meets is True


def test_table_lines_of_any_benchmark() -> None:
    found = figures("new_bench.py", TABLE_OUTPUT)
    assert set(found) == {
        "objects in the simulated cluster",
        "initial sync / floor",
        "peak RSS above idle (MB)",
        "changes applied and delivered (per s)",
        "lag p99 change -> subscriber (ms)",
    }
    assert found["initial sync / floor"].meets is True
    assert found["peak RSS above idle (MB)"].ratio is not None
    assert found["changes applied and delivered (per s)"].meets is None  # "= sent": no number
    assert found["objects in the simulated cluster"].target == ""


def test_every_benchmark_is_found_with_a_quick_mode() -> None:
    scripts = [b.script for b in runner.discover([])]
    on_disk = sorted(p.name for p in runner.BENCH.glob("*_bench.py"))
    assert scripts == [*on_disk, "load_test.py"]
    for bench in runner.discover([]):
        args, note = runner.arguments(bench, True, "")
        assert bench.script not in runner.KNOWN or (args and not note)
    assert runner.arguments(runner.Bench("new_bench.py"), True, "  --quick  small")[0] == [
        "--quick"
    ]
    assert [b.script for b in runner.discover(["sync_bench"])] == ["sync_bench.py"]


def test_the_table_shows_targets_ratios_and_notes() -> None:
    outcome = runner.Outcome("sync_bench.py", "sqlite", 12.0, 0, [], "exit 1: boom")
    outcome.figures = runner.parse(runner.KNOWN["sync_bench.py"], "sqlite", TABLE_OUTPUT)
    text = runner.table([outcome])
    header, rule, *rows = text.splitlines()
    assert header.split() == ["benchmark", "db", "figure", "value", "target", "ratio", "meets"]
    assert set(rule) <= {"-", " "}
    floor = next(r for r in rows if "initial sync / floor" in r)
    assert floor.split()[-5:] == ["1.32", "<=", "1.5", "0.88", "yes"]
    assert "sync_bench.py (sqlite, 12 s): exit 1: boom" in text


def test_a_missed_target_or_a_failed_benchmark_fails_the_run() -> None:
    good = runner.Outcome("new_bench.py", "sqlite", 1.0, 0, [])
    good.figures = [runner.Figure("new_bench.py", "sqlite", "speed", 10.0, ">= 5")]
    assert runner.failures([good]) == []
    missed = runner.Outcome("new_bench.py", "postgres", 1.0, 0, [])
    missed.figures = [runner.Figure("new_bench.py", "postgres", "speed", 4.0, ">= 5")]
    crashed = runner.Outcome("other_bench.py", "sqlite", 1.0, 1, [], "exit 1: boom")
    problems = runner.failures([good, missed, crashed])
    assert problems == [
        "other_bench.py (sqlite): exit 1: boom",
        "new_bench.py (postgres): speed = 4, target >= 5",
    ]


def test_a_silent_benchmark_is_killed_as_hung(tmp_path: Path) -> None:
    script = tmp_path / "hang_bench.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "print('figure  1', flush=True)\n"
        # A helper holding the output open must not keep the run waiting either.
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    outcome = runner.run_one(
        runner.Bench(str(script)), "sqlite", [], 120, tmp_path, False, silence=1.0
    )
    assert time.monotonic() - started < 20
    assert "silent for 1 s" in outcome.note
    assert outcome.status != 0
    assert [f.name for f in outcome.figures] == ["figure"]
    assert runner.failures([outcome])


def test_the_readme_table_is_rewritten_between_its_markers() -> None:
    readme = runner.README.read_text(encoding="utf-8")
    assert readme.count(runner.README_START) == 1
    rewritten = runner.with_table(readme, "quick run, 1 s\nfigure  1\n")
    start = rewritten.index(runner.README_START)
    end = rewritten.index(runner.README_END)
    assert rewritten[start:end].splitlines()[1:] == [
        "```text",
        "quick run, 1 s",
        "figure  1",
        "```",
    ]
    assert rewritten[:start] == readme[: readme.index(runner.README_START)]
    assert rewritten[end:] == readme[readme.index(runner.README_END) :]
    assert runner.with_table(rewritten, "quick run, 1 s\nfigure  1\n") == rewritten
