"""The data directory: checking it can be used, and owning it for the life of the process.

One process at a time uses a data directory: it holds the SQLite database, the key
file, the server id and the demo kubeconfig, none of which two processes may write
at once. Ownership is an exclusive ``fcntl`` lock on ``graphql-server.lock``, which
holds the owner's pid; the kernel releases it when the process ends, however it ends,
so a stale file never blocks a start. Nothing here runs at import time.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Any

from graphql_server.errors import ConfigurationError
from graphql_server.settings import Settings

LOCK_FILE = "graphql-server.lock"


def check_data_dir(path: Path) -> None:
    """Refuse a data directory that is a file, or that cannot be created or written."""
    if path.exists():
        if not path.is_dir():
            raise ConfigurationError(
                f"the data directory {path} is a file, not a directory; "
                "pass a directory with --data-dir (it is created if missing)"
            )
        if not os.access(path, os.W_OK | os.X_OK):
            raise ConfigurationError(
                f"the data directory {path} is read-only; "
                "make it writable or pass another --data-dir"
            )
        return
    parent = _existing_ancestor(path)
    if not parent.is_dir():
        raise ConfigurationError(
            f"the data directory {path} cannot be created: {parent} is a file; "
            "pass another --data-dir"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"the data directory {path} cannot be created: {parent} is read-only; "
            "create it or pass another --data-dir"
        )


def _existing_ancestor(path: Path) -> Path:
    for candidate in path.absolute().parents:
        if candidate.exists():
            return candidate
    return Path("/")


class DataDirLock:
    """An exclusive hold on a data directory, released by :meth:`release` or process exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def file(self) -> Path:
        return self.path / LOCK_FILE

    def acquire(self) -> None:
        """Create the directory if needed and lock it; refuse at once when another holds it."""
        check_data_dir(self.path)
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot use the data directory {self.path}: {exc.strerror}; "
                "make it writable or pass another --data-dir"
            ) from exc
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise ConfigurationError(
                    f"cannot lock the data directory {self.path}: {exc.strerror}"
                ) from exc
            who = f"pid {holder}" if holder else "another process"
            raise ConfigurationError(
                f"the data directory {self.path} is in use by another graphql-server ({who}); "
                "stop it, or pass another --data-dir"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            os.close(fd)
            raise ConfigurationError(
                f"cannot write to the data directory {self.path}: {exc.strerror}; "
                "free some space or pass another --data-dir"
            ) from exc
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):  # the lock goes with the descriptor either way
            os.ftruncate(fd, 0)
        os.close(fd)

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_if_used(settings: Settings, *, key_file: bool) -> contextlib.AbstractContextManager[Any]:
    """The data directory's lock for a command that uses its SQLite database or, with
    ``key_file``, its key file; nothing to hold otherwise (PostgreSQL and a given key)."""
    data_dir = settings.effective_data_dir()
    url = settings.effective_database_url()
    in_data_dir = url.startswith("sqlite://") and (
        Path(url[len("sqlite://") :]).absolute().parent == data_dir.absolute()
    )
    if in_data_dir or (key_file and not settings.secret_key):
        return DataDirLock(data_dir)
    return contextlib.nullcontext()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
