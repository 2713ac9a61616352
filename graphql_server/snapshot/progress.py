"""Showing a snapshot's progress: live bars on a terminal, plain lines otherwise.

Owns the two ``ProgressSink`` implementations and the closing summary table. On a
terminal, each type being listed has a bar redrawn in place with ANSI escapes (at
most ten times a second) below a header line, and a finished type leaves one
permanent line above them, so the redrawn region stays a few lines tall however
many types the cluster serves. Elsewhere (a pipe, a file, CI logs) each finished
type is one plain line, with no escape sequences. Nothing here touches the cluster.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from typing import TextIO

from graphql_server.snapshot.taking import SnapshotResult, TypeProgress

BAR_WIDTH = 24
GREEN, RED, DIM, RESET = "\x1b[32m", "\x1b[31m", "\x1b[2m", "\x1b[0m"
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
CLEAR_BELOW = "\x1b[J"


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 120
    except (OSError, ValueError, io.UnsupportedOperation):
        return 120


def _name_width(types: list[TypeProgress]) -> int:
    return min(48, max((len(t.name) for t in types), default=10))


def bar(listed: int, expected: int | None, now: float) -> str:
    """``[=====>     ]`` when the total is known, a moving block when it is not."""
    if expected:
        filled = min(BAR_WIDTH, BAR_WIDTH * listed // expected)
        head = ">" if filled < BAR_WIDTH else ""
        return "[" + ("=" * filled + head).ljust(BAR_WIDTH) + "]"
    position = int(now * 8) % (BAR_WIDTH - 3)
    return "[" + (" " * position + "<=>").ljust(BAR_WIDTH) + "]"


class PlainProgress:
    """One line when the snapshot starts and one per finished resource type."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.total = 0
        self.finished = 0
        self.width = 10

    def begin(self, cluster_id: str, server: str, types: list[TypeProgress]) -> None:
        self.total = len(types)
        self.width = _name_width(types)
        self.stream.write(
            f"snapshot of cluster {cluster_id} at {server}: {self.total} resource types\n"
        )
        self.stream.flush()

    def update(self, progress: TypeProgress) -> None:
        if not progress.done:
            return
        self.finished += 1
        counter = f"[{self.finished:>{len(str(self.total))}}/{self.total}]"
        if progress.error is not None:
            outcome = f"failed: {progress.error}"
        else:
            outcome = f"{progress.listed} objects in {progress.seconds:.2f} s"
        self.stream.write(f"{counter} {progress.name:<{self.width}} {outcome}\n")
        self.stream.flush()

    def end(self, result: SnapshotResult) -> None:
        self.stream.write(
            f"listed {result.objects} objects of {len(result.types)} types "
            f"in {result.seconds:.2f} s\n"
        )
        self.stream.flush()


class TerminalProgress:
    """A header and one live bar per type being listed, redrawn in place."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.types: list[TypeProgress] = []
        self.width = 10
        self.started = clock()
        self._drawn = 0  # live lines currently on screen
        self._last_draw = 0.0
        self.columns = _columns(stream)

    def begin(self, cluster_id: str, server: str, types: list[TypeProgress]) -> None:
        self.types = types
        self.width = _name_width(types)
        self.started = self.clock()
        self.stream.write(
            f"{HIDE_CURSOR}snapshot of cluster {cluster_id} at {server}: "
            f"{len(types)} resource types\n"
        )
        self._draw([], force=True)

    def update(self, progress: TypeProgress) -> None:
        if progress.done:
            self._draw([self._finished_line(progress)], force=True)
        else:
            self._draw([])

    def end(self, result: SnapshotResult) -> None:
        self._draw([], force=True, live=False)
        self.stream.write(SHOW_CURSOR)
        self.stream.flush()

    def _finished_line(self, progress: TypeProgress) -> str:
        name = f"{progress.name:<{self.width}}"
        if progress.error is not None:
            return f"  {RED}failed{RESET} {name} {progress.error}"
        return (
            f"  {GREEN}done{RESET}   {name} {progress.listed:>9,} objects "
            f"{DIM}{progress.seconds:6.2f} s{RESET}"
        )

    def _live_lines(self, now: float) -> list[str]:
        finished = sum(1 for t in self.types if t.done)
        objects = sum(t.listed for t in self.types)
        lines = [
            f"{finished}/{len(self.types)} types, {objects:,} objects, {now - self.started:.1f} s"
        ]
        for progress in self.types:
            if progress.started is None or progress.done:
                continue
            total = f"{progress.expected:,}" if progress.expected else "?"
            lines.append(
                f"  {progress.name:<{self.width}} {bar(progress.listed, progress.expected, now)}"
                f" {progress.listed:>9,}/{total}"
            )
        return lines

    def _draw(self, permanent: list[str], *, force: bool = False, live: bool = True) -> None:
        now = self.clock()
        if not force and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        parts = []
        if self._drawn:
            parts.append(f"\x1b[{self._drawn}F")  # back to the first live line
        parts.append(CLEAR_BELOW)
        parts.extend(line + "\n" for line in permanent)
        # A live line must never wrap, or moving back up would miss the region.
        lines = [line[: self.columns - 1] for line in self._live_lines(now)] if live else []
        parts.extend(line + "\n" for line in lines)
        self._drawn = len(lines)
        self.stream.write("".join(parts))
        self.stream.flush()


def summary_table(result: SnapshotResult, destination: str) -> str:
    """Kinds, counts and time per resource type, then the totals."""
    rows = sorted(result.types, key=lambda t: (-t.listed, t.name))
    width = max(13, _name_width(result.types))
    kind_width = max([4, *(len(t.resource_type.kind) for t in rows)])
    lines = [f"{'resource type':<{width}}  {'kind':<{kind_width}}  {'objects':>9}  {'seconds':>7}"]
    for t in rows:
        count = f"{t.listed:>9,}" if t.error is None else f"{'failed':>9}"
        lines.append(
            f"{t.name:<{width}}  {t.resource_type.kind:<{kind_width}}  {count}  {t.seconds:>7.2f}"
        )
    lines.append(
        f"{len(result.types)} resource types, {result.objects:,} objects in "
        f"{result.seconds:.2f} s, written to {destination}"
    )
    if result.failed:
        lines.append(f"{len(result.failed)} resource types could not be listed")
    return "\n".join(lines) + "\n"
