"""Running ``graphql-server`` as a person would: a subprocess, real files and ports.

:func:`command` runs one command to its end and records its exit code, its output
and how long it took; :class:`ServerProcess` keeps a ``serve`` running in the
background. When the tests run as root, :func:`unprivileged` drops the capabilities
that let root write anywhere, so that a read-only directory is read-only to the
command too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.helpers import until

PREFIX = "graphql-server: "


@dataclass
class Finished:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def refused(self, fragment: str, code: int = 2, within: float = 15) -> str:
        """Assert a one-line refusal mentioning ``fragment``; return the line."""
        shown = f"{self.args}: exit {self.code} after {self.seconds:.1f}s\n{self.stderr}"
        assert self.code == code, shown
        assert self.seconds < within, shown
        assert "Traceback" not in self.stderr, shown
        assert len(self.lines) == 1, shown
        line = self.lines[0]
        assert line.startswith(PREFIX), shown
        assert fragment in line, shown
        return line


def unprivileged() -> list[str]:
    """A prefix running a command without root's override of file permissions."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only directory is writable")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}"]


def _environ(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHQL_SERVER_")}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def command(
    *args: str,
    prefix: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Finished:
    argv = [*(prefix or []), sys.executable, "-m", "graphql_server", *args]
    started = time.monotonic()
    done = subprocess.run(
        argv, capture_output=True, text=True, env=_environ(env), timeout=timeout, check=False
    )
    return Finished(
        list(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started
    )


@dataclass
class ServerProcess:
    """A command running in the background, its standard error in a file."""

    args: list[str]
    log: Path
    prefix: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.child = subprocess.Popen(
                [*self.prefix, sys.executable, "-m", "graphql_server", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_environ(self.env),
            )

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, fragment: str, within: float = 60) -> None:
        """Until the output shows ``fragment`` (blocking: for tests without an event loop)."""
        deadline = time.monotonic() + within
        while not self._shows(fragment, deadline, within):
            time.sleep(0.05)

    async def shows(self, fragment: str, within: float = 60) -> None:
        """Until the output shows ``fragment``, leaving the test's event loop running
        (servers the test serves in-process keep answering meanwhile)."""
        deadline = time.monotonic() + within
        await until(lambda: self._shows(fragment, deadline, within), within + 1, fragment)

    def _shows(self, fragment: str, deadline: float, within: float) -> bool:
        if fragment in self.output():
            return True
        assert self.child is not None
        if self.child.poll() is not None:
            raise AssertionError(f"exited {self.child.returncode}:\n{self.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {fragment!r} within {within}s:\n{self.output()}")
        return False

    def stop(self, sig: int = signal.SIGTERM, within: float = 10) -> tuple[int, float]:
        """Send ``sig``; return the exit code and the seconds it took to exit."""
        assert self.child is not None
        started = time.monotonic()
        self.child.send_signal(sig)
        try:
            code = self.child.wait(within)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait(5)
            raise AssertionError(f"still running {within}s after {sig}:\n{self.output()}") from None
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.kill()
            self.child.wait(5)


@contextmanager
def background(
    *args: str, log: Path, prefix: list[str] | None = None, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    process = ServerProcess(list(args), log, prefix or [], env)
    process.start()
    try:
        yield process
    finally:
        process.kill()


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def require_postgres(problem: str | None) -> None:
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI but unreachable: {problem}")
    pytest.skip(f"PostgreSQL unreachable: {problem}")
