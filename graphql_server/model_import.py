"""The ``graphql-server import-models`` verb: definition files into the configured database.

Owns finding the files (each file given, and every ``*.json`` below each directory
given, such as a checkout of Meshery's ``server/meshmodel/``; directories named
``relationships`` or ``policies`` hold Meshery definitions that are not models or
components and are skipped), the progress display (a bar on stderr when it is a
terminal, nothing otherwise) and the summary table on stdout. The import follows the
same rules as the ``importModels`` mutation (``services.models``). Exit status: 0 when
every item was accepted, 1 when some were rejected, 2 on a usage or configuration error.
A running server shows the imported models after its next start.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from graphql_server.errors import ConfigurationError
from graphql_server.registry.importing import ImportPlan, Outcome
from graphql_server.settings import Settings

SKIPPED_FOLDERS = frozenset({"relationships", "policies"})
BAR_WIDTH = 30
MAX_LISTED_REJECTIONS = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", type=Path, help="Definition files, or directories to search."
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="Also remove the stored components of each imported model that the files "
        "do not provide (default: merge).",
    )


@dataclass(frozen=True, slots=True)
class Found:
    files: list[tuple[str, Path]]
    skipped: int


def find_files(paths: list[Path]) -> Found:
    """Every definition file to read, named relative to the directory it was found in."""
    files: list[tuple[str, Path]] = []
    skipped = 0
    for path in paths:
        if path.is_file():
            files.append((str(path), path))
        elif path.is_dir():
            for found in sorted(path.rglob("*.json")):
                relative = found.relative_to(path)
                if SKIPPED_FOLDERS & set(relative.parts[:-1]):
                    skipped += 1
                elif found.is_file():
                    files.append((str(relative), found))
        else:
            raise ConfigurationError(f"{path}: no such file or directory")
    if not files:
        shown = ", ".join(map(str, paths))
        raise ConfigurationError(f"no definition files (*.json) found in {shown}")
    return Found(files, skipped)


class Progress:
    """A bar redrawn in place at most ten times a second; silent when not a terminal."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.live = stream.isatty()
        self._drawn = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.live or (now - self._drawn < 0.1 and done < self.total):
            return
        self._drawn = now
        filled = BAR_WIDTH * done // max(self.total, 1)
        bar = ("=" * filled + (">" if filled < BAR_WIDTH else "")).ljust(BAR_WIDTH)
        self.stream.write(f"\r[{bar}] {done}/{self.total} files")
        self.stream.flush()

    def end(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


def _read(found: Found, progress: Progress) -> Iterator[tuple[str, Any]]:
    for index, (name, path) in enumerate(found.files, start=1):
        try:
            data: Any = path.read_bytes()
        except OSError as exc:
            data = f"cannot be read ({exc.strerror})"
        progress.update(index)
        yield name, data


def run(args: argparse.Namespace, settings: Settings) -> int:
    found = find_files(args.paths)
    progress = Progress(sys.stderr, len(found.files))
    started = time.monotonic()
    plan = asyncio.run(_import(settings, found, progress, args.replace))
    progress.end()
    sys.stdout.write(summary(plan, found, time.monotonic() - started))
    sys.stdout.flush()
    return 1 if plan.rejected else 0


async def _import(
    settings: Settings, found: Found, progress: Progress, replace: bool
) -> ImportPlan:
    from graphql_server.services.models import import_documents, load_registry
    from graphql_server.store import Store

    store = await Store.open(settings.effective_database_url())
    try:
        registry = await load_registry(store)
        done = await import_documents(store, registry, _read(found, progress), replace=replace)
    finally:
        await store.close()
    return done.plan


def summary(plan: ImportPlan, found: Found, seconds: float) -> str:
    """One row per model with how many of its items were added, updated, unchanged (and
    components removed), a totals line, then the rejections."""
    changed = {(m.name, m.version): "added" for m in plan.added}
    changed.update({(m.name, m.version): "updated" for m in plan.updated})
    counts: dict[tuple[str, str], Counter[Outcome]] = {}
    for report in plan.items:
        if report.model_name is not None and report.model_version is not None:
            key = (report.model_name, report.model_version)
            counts.setdefault(key, Counter())[report.outcome] += 1
    name_width = max([5, *(len(name) for name, _ in counts)])
    version_width = max([7, *(len(version) for _, version in counts)])
    columns = ("added", "updated", "unchanged", "removed")
    lines = [
        f"{'model':<{name_width}}  {'version':<{version_width}}  {'model is':<9}  "
        + "  ".join(f"{c:>9}" for c in columns)
    ]
    for key in sorted(counts):
        tally = counts[key]
        lines.append(
            f"{key[0]:<{name_width}}  {key[1]:<{version_width}}  "
            f"{changed.get(key, 'unchanged'):<9}  "
            + "  ".join(f"{tally[Outcome(c.upper())]:>9}" for c in columns)
        )
    rejected = plan.rejected
    lines.append(
        f"{len(found.files)} files, {len(plan.items) - len(rejected)} items accepted, "
        f"{len(rejected)} rejected, {found.skipped} skipped (not models or components); "
        f"{len(plan.added)} models added, {len(plan.updated)} updated; "
        f"icons {sum(r.icon_bytes for r in plan.items) / 1024:,.1f} KiB; {seconds:.2f} s"
    )
    for report in rejected[:MAX_LISTED_REJECTIONS]:
        where = f"{report.item}: {report.path}" if report.path else report.item
        lines.append(f"rejected: {where}: {report.reason}")
    if len(rejected) > MAX_LISTED_REJECTIONS:
        lines.append(f"... and {len(rejected) - MAX_LISTED_REJECTIONS} more rejections")
    return "\n".join(lines) + "\n"
