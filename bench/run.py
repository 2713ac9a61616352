"""Every benchmark of the project in one command, with one table of figures and targets.

Runs each ``bench/*_bench.py`` and the load test (``bench/load_test.py``) in its own
process, each against its own simulated cluster, collects the figures it prints and
prints them in one table: value, target, the value's ratio to the target, and
whether it meets it. Benchmarks that accept ``--database-url`` run once on SQLite
and once on a fresh PostgreSQL database when one is reachable (``--postgres``,
default ``$GRAPHQL_SERVER_TEST_POSTGRES`` or the test suite's local server).

Figures are read from each benchmark's output: lines of the form
``<figure>  <value>  [<target>]`` (two spaces or more between columns, targets
such as ``<= 1.5``) anywhere in the output, plus the patterns below for the
benchmarks that print prose. A benchmark added to ``bench/`` is picked up without
changes here; ``--quick`` passes it ``--quick`` if its ``--help`` offers it.

    python bench/run.py [--quick] [--only sync_bench ...] [--postgres URL | --no-postgres]
                        [--write-readme]

It exits non-zero when a benchmark fails, hangs (``--silence`` seconds without
output, or past ``--timeout``), loses a figure it should print, or misses a target.
``--write-readme`` writes the run's table into README.md between its markers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_POSTGRES = os.environ.get(
    "GRAPHQL_SERVER_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"
)
NUMBER = r"[-+]?(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?|nan|inf"
TABLE_LINE = re.compile(rf"^(?P<name>\S.*?)\s{{2,}}(?P<value>{NUMBER})(?:\s{{2,}}(?P<target>.*))?$")
TARGET = re.compile(rf"^(?P<op><=|>=|<|>|=)\s*(?P<bound>{NUMBER})")
SILENCE = 300.0  # seconds without output after which a benchmark counts as hung
README = REPO / "README.md"
README_START = "<!-- bench/run.py table -->"
README_END = "<!-- /bench/run.py table -->"


@dataclass(frozen=True, slots=True)
class Pattern:
    """A figure printed in prose: the first group of ``regex`` is its value."""

    name: str
    regex: str
    target: str = ""


@dataclass(frozen=True, slots=True)
class Bench:
    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    database: str = "sqlite"  # what it writes to unless given --database-url


KNOWN: dict[str, Bench] = {
    b.script: b
    for b in (
        Bench(
            "simulator_bench.py",
            quick=("--objects", "10000", "--events", "4000"),
            patterns=(
                Pattern("seeding (s)", r"seeding: [\d,]+ objects in ([\d.]+) s", "<= 5"),
                Pattern(
                    "list, in-process (objects/s)",
                    r"list \(in-process[^)]*\):.*= ([\d,]+) objects/s",
                    ">= 20000",
                ),
                Pattern(
                    "list, separate process (objects/s)",
                    r"list \(separate process\):.*= ([\d,]+) objects/s",
                    ">= 20000",
                ),
                Pattern(
                    "watch events/s to 1 watcher",
                    r"watch fan-out to\s+1 watcher\(s\):.*= ([\d,]+) events/s per watcher",
                    ">= 5000",
                ),
                Pattern(
                    "watch events/s per watcher, 10 watchers",
                    r"watch fan-out to\s+10 watcher\(s\):.*= ([\d,]+) events/s per watcher",
                    ">= 5000",
                ),
            ),
        ),
        Bench("sync_bench.py", quick=("--objects", "10000", "--rate", "1000", "--seconds", "4")),
        Bench(
            "api_bench.py",
            quick=("--rows", "10000", "--subscribers", "50", "--qps-seconds", "2"),
            patterns=(
                Pattern(
                    "small query over HTTP (queries/s)",
                    r"(?:small query|resource\(id:\)) over HTTP: ([\d,]+) queries/s",
                ),
                Pattern(
                    "{ __typename } over HTTP (queries/s)",
                    r"\{ __typename \} over HTTP: ([\d,]+) queries/s",
                ),
                Pattern("resources(first: 100) p50 (ms)", r"GraphQL over HTTP\s+p50\s+([\d.]+)"),
                Pattern(
                    "resources(first: 100) p99 (ms)",
                    r"GraphQL over HTTP\s+p50\s+[\d.]+ ms\s+p99\s+([\d.]+)",
                ),
                Pattern("resources(first: 100) / raw SQL, p50", r"ratio p50 ([\d.]+)x", "<= 3"),
                Pattern(
                    "resources(first: 100) / raw SQL, p99",
                    r"ratio p50 [\d.]+x, p99 ([\d.]+)x",
                    "<= 3",
                ),
                Pattern(
                    "fan-out deliveries/s",
                    r"GraphQL subscription\s+([\d,]+) deliveries/s",
                ),
                Pattern(
                    "fan-out p99 latency (ms)",
                    r"GraphQL subscription\s+[\d,]+ deliveries/s\s+p50\s+[\d.]+ ms"
                    r"\s+p99\s+([\d.]+)",
                ),
                Pattern(
                    "fan-out / raw websocket broadcast",
                    r"ratio ([\d.]+) of the raw broadcast",
                    ">= 0.5",
                ),
            ),
        ),
        Bench("registry_bench.py", quick=("--rows", "10000", "--requests", "60")),
        Bench(
            "console_bench.py",
            quick=("--runs", "3"),
            patterns=(
                Pattern(
                    "console script + stylesheet, gzip (KB)",
                    r"script \+ stylesheet gzip: ([\d.]+) KB",
                    "<= 40",
                ),
                Pattern(
                    "console time to interactive p50 (ms)",
                    r"console time to interactive: median ([\d.]+) ms",
                ),
                Pattern(
                    "console / GraphiQL time to interactive",
                    r"ratio console / GraphiQL: ([\d.]+)",
                    "<= 0.5",
                ),
            ),
        ),
        # SQLite in one process and PostgreSQL behind NATS: each figure names its own.
        Bench("nats_bench.py", quick=("--quick",), database="sqlite+pg"),
        Bench(
            "registry_import_bench.py",
            quick=("--models", "60", "--components", "1000", "--resources", "5000"),
        ),
        Bench(
            "scale_bench.py",
            full=("--scaling", "10000,100000,300000"),
            quick=("--objects", "10000", "--seconds", "8", "--idle-seconds", "5"),
        ),
        Bench(
            "load_test.py",
            quick=(
                *("--subscribers", "200", "--seconds", "15", "--qps", "20"),
                *("--churn", "20", "--objects", "1000"),
            ),
        ),
    )
}


@dataclass(slots=True)
class Figure:
    bench: str
    database: str
    name: str
    value: float
    target: str = ""

    @property
    def bound(self) -> tuple[str, float] | None:
        match = TARGET.match(self.target.strip())
        if match is None:
            return None
        return match["op"], _number(match["bound"])

    @property
    def ratio(self) -> float | None:
        """The value over its numeric target."""
        bound = self.bound
        if bound is None or bound[1] == 0 or math.isnan(self.value):
            return None
        return self.value / bound[1]

    @property
    def meets(self) -> bool | None:
        bound = self.bound
        if bound is None:
            return None
        op, limit = bound
        return {
            "<=": self.value <= limit,
            ">=": self.value >= limit,
            "<": self.value < limit,
            ">": self.value > limit,
            "=": self.value == limit,
        }[op]


@dataclass(slots=True)
class Outcome:
    bench: str
    database: str
    seconds: float = 0.0
    status: int = 0
    figures: list[Figure] = field(default_factory=list)
    note: str = ""


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse(bench: Bench, database: str, output: str) -> list[Figure]:
    """Every figure ``output`` shows: the bench's patterns, then its table lines."""
    figures: list[Figure] = []
    seen: set[str] = set()
    for pattern in bench.patterns:
        match = re.search(pattern.regex, output)
        if match is not None:
            figures.append(
                Figure(bench.script, database, pattern.name, _number(match[1]), pattern.target)
            )
            seen.add(pattern.name)
    for line in output.splitlines():
        match = TABLE_LINE.match(line.rstrip())
        if match is None or match["name"].strip() in seen:
            continue
        name = match["name"].strip()
        figures.append(
            Figure(bench.script, database, name, _number(match["value"]), match["target"] or "")
        )
        seen.add(name)
    return figures


def discover(only: Sequence[str]) -> list[Bench]:
    scripts = sorted(p.name for p in BENCH.glob("*_bench.py"))
    scripts.append("load_test.py")
    found = [KNOWN.get(name, Bench(name)) for name in scripts if (BENCH / name).exists()]
    if only:
        found = [b for b in found if b.script.removesuffix(".py") in only or b.script in only]
    return found


def _help(script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    return result.stdout


def arguments(bench: Bench, quick: bool, help_text: str) -> tuple[list[str], str]:
    if not quick:
        return list(bench.full), ""
    if bench.script in KNOWN:
        return list(bench.quick), ""
    if "--quick" in help_text:
        return ["--quick"], ""
    return [], "no quick mode: full run"


async def _postgres_problem(admin_url: str) -> str | None:
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(admin_url), 3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


async def _admin(admin_url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    name = f"gs_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_one(
    bench: Bench,
    database: str,
    args: list[str],
    timeout: float,
    logs: Path,
    echo: bool,
    silence: float = SILENCE,
) -> Outcome:
    """Run one benchmark; a watchdog kills it past ``timeout`` seconds, or once it has
    printed nothing for ``silence`` seconds (a hang prints nothing at all)."""
    outcome = Outcome(bench.script, database)
    log = logs / f"{Path(bench.script).stem}-{database}.log"
    started = time.monotonic()
    print(f"-- {bench.script} on {database}: {' '.join(args) or '(defaults)'}", flush=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, str(BENCH / bench.script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
            start_new_session=True,  # its helpers too are killed with it
        )
        assert process.stdout is not None
        collected: list[str] = []
        last_line = [time.monotonic()]
        stopped = threading.Event()

        def watchdog() -> None:
            while not stopped.wait(0.2):
                now = time.monotonic()
                if now - started > timeout:
                    outcome.note = f"killed after {timeout:.0f} s"
                elif now - last_line[0] > silence:
                    outcome.note = f"killed: silent for {silence:.0f} s (hung)"
                else:
                    continue
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                return

        watching = threading.Thread(target=watchdog, name="bench-watchdog", daemon=True)
        watching.start()
        try:
            for line in process.stdout:
                last_line[0] = time.monotonic()
                collected.append(line)
                output.write(line)
                if echo:
                    print(f"   {line}", end="", flush=True)
            outcome.status = process.wait()
        finally:
            stopped.set()
            watching.join()
    outcome.seconds = time.monotonic() - started
    text = "".join(collected)
    outcome.figures = parse(bench, database, text)
    if outcome.status != 0 and not outcome.note:
        last = [line for line in text.splitlines() if line.strip()][-1:] or ["no output"]
        outcome.note = f"exit {outcome.status}: {last[0][:120]}"
    missing = [p.name for p in bench.patterns if p.name not in {f.name for f in outcome.figures}]
    if missing:
        outcome.note = (outcome.note + "; " if outcome.note else "") + (
            f"not found in its output: {', '.join(missing)}"
        )
    print(f"   {len(outcome.figures)} figures in {outcome.seconds:.0f} s", flush=True)
    return outcome


def failures(outcomes: Sequence[Outcome]) -> list[str]:
    """Why the run fails: a benchmark that failed, hung or lost a figure, a missed target."""
    found = [
        f"{o.bench} ({o.database}): {o.note or f'exit {o.status}'}"
        for o in outcomes
        if o.status != 0 or o.note
    ]
    found += [
        f"{f.bench} ({f.database}): {f.name} = {_format_value(f.value)}, target {f.target.strip()}"
        for o in outcomes
        for f in o.figures
        if f.meets is False
    ]
    return found


def with_table(readme: str, block: str) -> str:
    """``readme`` with the text between the benchmark table's markers replaced by
    ``block`` (a fenced block); the markers must be there."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {README_START} ... {README_END} markers")
    head = readme[: start + len(README_START)]
    return f"{head}\n```text\n{block.rstrip()}\n```\n{readme[end:]}"


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == int(value):
        return f"{value:.0f}"
    return f"{value:.2f}"


def table(outcomes: list[Outcome]) -> str:
    rows = [("benchmark", "db", "figure", "value", "target", "ratio", "meets")]
    for outcome in outcomes:
        for f in outcome.figures:
            ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
            meets = {None: "", True: "yes", False: "NO"}[f.meets]
            rows.append(
                (
                    f.bench.removesuffix(".py"),
                    f.database,
                    f.name,
                    _format_value(f.value),
                    f.target.strip(),
                    ratio,
                    meets,
                )
            )
    widths = [min(56, max(len(r[i]) for r in rows)) for i in range(len(rows[0]))]
    right = {3, 5}
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell[: widths[i]].rjust(widths[i]) if i in right else cell[: widths[i]].ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"{o.bench} ({o.database}, {o.seconds:.0f} s): {o.note}" for o in outcomes if o.note]
    return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({model}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes: minutes, not hours.")
    parser.add_argument("--only", action="append", default=[], help="Run only this benchmark.")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL admin URL.")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only.")
    parser.add_argument("--timeout", type=float, default=None, help="Seconds per benchmark.")
    parser.add_argument("--verbose", action="store_true", help="Echo each benchmark's output.")
    parser.add_argument(
        "--silence", type=float, default=SILENCE, help="Seconds without output that mean a hang."
    )
    parser.add_argument(
        "--write-readme", action="store_true", help="Write the table into README.md."
    )
    args = parser.parse_args(argv)
    timeout = args.timeout or (900.0 if args.quick else 3600.0)
    benches = discover(args.only)
    postgres_problem = None
    if not args.no_postgres:
        postgres_problem = asyncio.run(_postgres_problem(args.postgres))
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as logs:
        for bench in benches:
            help_text = _help(bench.script)
            bench_args, note = arguments(bench, args.quick, help_text)
            outcome = run_one(
                bench, bench.database, bench_args, timeout, Path(logs), args.verbose, args.silence
            )
            outcome.note = "; ".join(n for n in (note, outcome.note) if n)
            outcomes.append(outcome)
            if "--database-url" not in help_text or args.no_postgres:
                continue
            if postgres_problem is not None:
                print(f"   PostgreSQL unreachable ({postgres_problem}): skipped", flush=True)
                continue
            with postgres_database(args.postgres) as url:
                pg_args = [*bench_args, "--database-url", url]
                outcomes.append(
                    run_one(bench, "postgres", pg_args, timeout, Path(logs), False, args.silence)
                )
    mode = "quick" if args.quick else "full"
    report = f"{mode} run, {time.monotonic() - started:.0f} s, on {machine()}\n{table(outcomes)}"
    print()
    print(report, end="")
    if args.write_readme:
        README.write_text(with_table(README.read_text(encoding="utf-8"), report), "utf-8")
        print(f"wrote the table into {README}")
    problems = failures(outcomes)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
