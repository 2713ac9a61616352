"""The ``graphql-server`` command: serve, agent, migrate, rotate-key, simulate, snapshot,
import-models, export-schema.

Every command ends with one of the exit codes of ``running``; an error it can name
(configuration, environment) is one line on standard error, with its traceback only
under ``--log-level DEBUG``.

Settings are built here once, from flags and ``GRAPHQL_SERVER_*`` variables,
and passed down explicitly.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphql_server import __version__, collector, model_import
from graphql_server.datadir import lock_if_used
from graphql_server.errors import (
    BrokerUnavailable,
    ConfigurationError,
    GraphQLServerError,
    StoreUnavailable,
)
from graphql_server.logs import configure_logging
from graphql_server.running import (
    EXIT_CONFIGURATION,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Interrupted,
    run,
)
from graphql_server.settings import Settings, describe, option_fields
from graphql_server.snapshot import command as snapshot_command

log = logging.getLogger("graphql_server")

SCHEMA_PATH = Path("schema") / "schema.graphql"


def _add_settings(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    rows = {row[1]: row for row in describe()}
    for f in option_fields():
        if f.name not in names:
            continue
        flag, env, default, text = rows["GRAPHQL_SERVER_" + f.name.upper()]
        help_text = f"{text} [env {env}; default {default}]"
        type_name = str(f.type)
        if type_name == "bool":
            parser.add_argument(
                flag,
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        elif type_name.startswith("tuple"):
            parser.add_argument(flag, dest=f.name, action="append", default=None, help=help_text)
        else:
            converter: Any = {"int": int, "float": float}.get(type_name, str)
            if type_name.startswith("Path"):
                converter = Path
            parser.add_argument(flag, dest=f.name, type=converter, default=None, help=help_text)


SERVE_OPTIONS = [f.name for f in option_fields()]
STORE_OPTIONS = ["database_url", "data_dir", "log_level", "log_format"]
AGENT_OPTIONS = [
    "log_level",
    "log_format",
    "kubeconfig",
    "contexts",
    "include_resources",
    "exclude_resources",
    "store_secret_values",
    "nats_url",
    "nats_prefix",
    "lease_ttl",
    "nats_outbox_mb",
    "nats_operation_retention",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphql-server",
        description="A live inventory of Kubernetes clusters, served over GraphQL.",
        epilog="Exit codes: 0 done, 1 failed while running, 2 configuration or environment "
        "(bad option, file, database, port, data directory in use), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"graphql-server {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="Run the GraphQL server (and the sync).")
    _add_settings(serve, SERVE_OPTIONS)
    migrate = commands.add_parser("migrate", help="Apply database migrations and exit.")
    _add_settings(migrate, STORE_OPTIONS)
    simulate = commands.add_parser(
        "simulate", help="Run a simulated Kubernetes cluster (for demos, tests, benchmarks)."
    )
    simulate.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
    simulate.add_argument("--port", type=int, default=6443, help="Port (0 picks a free one).")
    simulate.add_argument("--objects", type=int, default=1000, help="Objects to seed.")
    simulate.add_argument("--churn", type=float, default=0.0, help="Changes per second.")
    simulate.add_argument("--seed", type=int, default=0, help="Seed of the generated cluster.")
    simulate.add_argument("--name", default="simulated", help="Cluster and context name.")
    simulate.add_argument("--token", default=None, help="Require this bearer token.")
    simulate.add_argument(
        "--kubeconfig-out", type=Path, default=None, help="Write a kubeconfig for it here."
    )
    simulate.add_argument("--log-level", default="INFO", help="Logging level.")
    rotate = commands.add_parser(
        "rotate-key", help="Re-encrypt every credential under a new secret key."
    )
    _add_settings(rotate, [*STORE_OPTIONS, "secret_key"])
    rotate.add_argument(
        "--new-key", default=None, help="The new key (32 bytes, base64 or hex); default: generate."
    )
    agent = commands.add_parser(
        "agent",
        help="Run discovery alone, publishing to NATS JetStream (no database, no API).",
    )
    _add_settings(agent, AGENT_OPTIONS)
    snapshot_command.add_parser(commands)
    models = commands.add_parser(
        "import-models",
        help="Import model and component definition files (this project's format or "
        "Meshery's) into the database, as the importModels mutation does.",
    )
    _add_settings(models, STORE_OPTIONS)
    model_import.add_arguments(models)
    export = commands.add_parser("export-schema", help="Write the GraphQL SDL.")
    export.add_argument("--output", type=Path, default=SCHEMA_PATH, help="Where to write it.")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    values = {f.name: getattr(args, f.name) for f in option_fields() if hasattr(args, f.name)}
    return Settings.from_environ(**values)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code is one of ``running.EXIT_*`` (see the README)."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except Interrupted:
        print("graphql-server: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("graphql-server: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except GraphQLServerError as exc:
        _report(args, exc, exc.message)
        return EXIT_CONFIGURATION if isinstance(exc, ENVIRONMENT_ERRORS) else EXIT_FAILURE
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _report(args, exc, f"{exc.strerror or exc}{where}")
        return EXIT_CONFIGURATION
    except Exception as exc:
        _report(args, exc, f"unexpected error: {type(exc).__name__}: {exc}")
        return EXIT_FAILURE


ENVIRONMENT_ERRORS = (ConfigurationError, StoreUnavailable, BrokerUnavailable)
"""Errors about what the command was given or found (exit code 2), not what it did."""


def _report(args: argparse.Namespace, exc: BaseException, message: str) -> None:
    """One line on standard error; the traceback too with ``--log-level DEBUG``."""
    if _debugging(args):
        traceback.print_exception(exc, file=sys.stderr)
    print(f"graphql-server: {' '.join(message.split())}", file=sys.stderr)


def _debugging(args: argparse.Namespace) -> bool:
    level = Settings.requested_log_level(getattr(args, "log_level", None))
    return level.upper() == "DEBUG"


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "export-schema":
        return export_schema(args.output)
    if args.command == "simulate":
        return simulate(args)
    if args.command == "snapshot":
        return snapshot_command.run(args)
    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "migrate":
        run(lambda: migrate(settings))
        return EXIT_OK
    if args.command == "import-models":
        return model_import.run(args, settings)
    if args.command == "rotate-key":
        return run(lambda: rotate_key(settings, args.new_key))
    if args.command == "agent":
        return agent(settings)
    from graphql_server.startup import serve

    return serve(settings)


def export_schema(output: Path) -> int:
    from graphql_server.api.schema import schema_sdl

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(schema_sdl(), encoding="utf-8")
    print(f"wrote {output}")
    return 0


async def migrate(settings: Settings) -> None:
    from graphql_server.store import Store
    from graphql_server.store.preflight import check_database

    url = settings.effective_database_url()
    await check_database(url)
    with lock_if_used(settings, key_file=False):
        store = await Store.open(url, migrate=True)
        await store.close()
    log.info("migrations applied")


async def rotate_key(settings: Settings, new_key: str | None) -> int:
    """Re-seal every credential; a key file is replaced only once the database is done.

    Crash-safe at every step (``store.identity``): a rotation a crash interrupted is
    finished first, here and on every start."""
    from graphql_server.crypto import SecretBox, encode_key, generate_key, key_id, parse_key
    from graphql_server.store import Store
    from graphql_server.store.identity import (
        finish_rotation,
        install_staged_key,
        secret_box_for,
        stage_key,
    )
    from graphql_server.store.preflight import check_database

    key = parse_key(new_key) if new_key else generate_key()
    url = settings.effective_database_url()
    await check_database(url)
    from_file = not settings.secret_key
    with lock_if_used(settings, key_file=True):
        store = await Store.open(url)
        try:
            await finish_rotation(settings, store.credentials)
            old = secret_box_for(settings)
            if from_file:
                stage_key(settings, key)
            count = await store.credentials.rotate(old, SecretBox(key))
        finally:
            await store.close()
    print(f"re-encrypted {count} credential(s) under key {key_id(key)}")
    if from_file:
        print(f"the new key is in {install_staged_key(settings)}")
    elif new_key:
        print("set GRAPHQL_SERVER_SECRET_KEY to the new key before the next start")
    else:
        print(f"set GRAPHQL_SERVER_SECRET_KEY={encode_key(key)} before the next start")
    return 0


def agent(settings: Settings) -> int:
    """Discovery alone: watch the clusters (under their leases), publish to NATS."""
    from graphql_server.components import agent_for
    from graphql_server.sync.scaleout.agent import run_agent

    running = agent_for(settings)
    collector.tune()
    with contextlib.suppress(Interrupted):  # a signal is how the agent stops
        run(lambda: run_agent(running))
    return EXIT_OK


def simulate(args: argparse.Namespace) -> int:
    from graphql_server.simulator import run_simulator

    configure_logging(args.log_level, "text")
    try:
        run(
            lambda: run_simulator(
                host=args.host,
                port=args.port,
                objects=args.objects,
                churn=args.churn,
                kubeconfig_out=args.kubeconfig_out,
                seed=args.seed,
                name=args.name,
                token=args.token,
            )
        )
    except Interrupted:  # a signal is how the simulator stops
        pass
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise ConfigurationError(
            f"port {args.port} is already in use on {args.host}; "
            "stop what uses it or pass another --port"
        ) from exc
    return EXIT_OK
