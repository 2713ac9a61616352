"""The ``graphql-server snapshot`` verb: its flags, and running one snapshot.

Owns choosing the cluster client (a kubeconfig context, or the pod's service
account when no kubeconfig is given inside a pod), the output stream (a file
written through a temporary name and renamed once complete, or ``-`` for
stdout), and the progress display (bars when stderr is a terminal, plain lines
otherwise). The summary table goes to stdout, or to stderr when the objects do.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, Any

from graphql_server import running
from graphql_server.errors import ConfigurationError
from graphql_server.logs import configure_logging


def add_parser(commands: Any) -> None:
    """Add the verb to the CLI's subcommands."""
    parser = commands.add_parser(
        "snapshot",
        help="Write every object of one cluster to an NDJSON file (no server, no database).",
    )
    parser.add_argument(
        "--kubeconfig", type=Path, default=None, help="Kubeconfig file (default: in a pod, its "
        "service account)."
    )  # fmt: skip
    parser.add_argument("--context", default=None, help="Context (default: the current one).")
    parser.add_argument(
        "--output", required=True, help="NDJSON file to write, or - for standard output."
    )
    parser.add_argument(
        "--include-resource", action="append", default=[], dest="include_resources",
        help="Resource type to list, as plural.group (repeatable; default: all).",
    )  # fmt: skip
    parser.add_argument(
        "--exclude-resource", action="append", default=None, dest="exclude_resources",
        help="Resource type to skip (repeatable; default: events, events.events.k8s.io, "
        "leases.coordination.k8s.io).",
    )  # fmt: skip
    parser.add_argument(
        "--concurrency", type=int, default=4, help="Resource types listed at once (default 4)."
    )
    parser.add_argument("--page-size", type=int, default=500, help="Objects per list page.")
    parser.add_argument(
        "--store-secret-values",
        action="store_true",
        help="Keep the values of Secrets (default: their keys only).",
    )
    parser.add_argument("--log-level", default="WARNING", help="Logging level.")


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1 or args.page_size < 1:
        raise ConfigurationError("concurrency and page size must be positive")
    configure_logging(args.log_level, "text")
    to_stdout = args.output == "-"
    summary_stream = sys.stderr if to_stdout else sys.stdout
    if to_stdout:
        return _snapshot(args, sys.stdout.buffer, "standard output", summary_stream)
    target = Path(args.output)
    partial = target.with_name(target.name + ".partial")
    try:
        opened = partial.open("wb")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the snapshot to {target}: {exc.strerror or exc}; pass --output "
            "with a file in a writable directory (or - for standard output)"
        ) from None
    try:
        with opened as output:
            status = _snapshot(args, output, str(target), summary_stream)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return status


def _snapshot(args: argparse.Namespace, output: IO[bytes], name: str, summary: IO[str]) -> int:
    from graphql_server.snapshot.progress import PlainProgress, TerminalProgress, summary_table
    from graphql_server.snapshot.taking import Snapshot, SnapshotResult

    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else PlainProgress(sys.stderr)

    async def take() -> SnapshotResult:
        from graphql_server.kube.config import (
            client_from_kubeconfig,
            client_in_cluster,
            running_in_cluster,
        )
        from graphql_server.kube.discovery import TypeFilter

        if args.kubeconfig is not None:
            client = await client_from_kubeconfig(args.kubeconfig, args.context)
        elif running_in_cluster():
            client = client_in_cluster()
        else:
            raise ConfigurationError("pass --kubeconfig (no service account outside a pod)")
        try:
            return await Snapshot(
                client,
                output,
                progress,
                type_filter=TypeFilter(args.include_resources, args.exclude_resources),
                concurrency=args.concurrency,
                page_size=args.page_size,
                store_secret_values=args.store_secret_values,
            ).take()
        finally:
            await client.close()

    result = running.run(take)
    summary.write(summary_table(result, name))
    summary.flush()
    return 1 if result.failed else 0
