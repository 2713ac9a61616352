"""The ``graphql-server`` command: serve, agent, migrate, rotate-key, simulate, export-schema.

Settings are built here once, from flags and ``GRAPHQL_SERVER_*`` variables,
and passed down explicitly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from graphql_server.errors import GraphQLServerError
from graphql_server.logs import configure_logging
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
    )
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
    export = commands.add_parser("export-schema", help="Write the GraphQL SDL.")
    export.add_argument("--output", type=Path, default=SCHEMA_PATH, help="Where to write it.")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    values = {f.name: getattr(args, f.name) for f in option_fields() if hasattr(args, f.name)}
    return Settings.from_environ(**values)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "export-schema":
            return export_schema(args.output)
        if args.command == "simulate":
            return simulate(args)
        if args.command == "snapshot":
            return snapshot_command.run(args)
        settings = _settings(args)
        configure_logging(settings.log_level, settings.log_format)
        if args.command == "migrate":
            asyncio.run(migrate(settings))
            return 0
        if args.command == "rotate-key":
            return asyncio.run(rotate_key(settings, args.new_key))
        if args.command == "agent":
            return agent(settings)
        return serve(settings)
    except GraphQLServerError as exc:
        print(f"graphql-server: {exc.message}", file=sys.stderr)
        return 2


def export_schema(output: Path) -> int:
    from graphql_server.api.schema import schema_sdl

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(schema_sdl(), encoding="utf-8")
    print(f"wrote {output}")
    return 0


async def migrate(settings: Settings) -> None:
    from graphql_server.store import Store

    store = await Store.open(settings.effective_database_url(), migrate=True)
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

    key = parse_key(new_key) if new_key else generate_key()
    from_file = not settings.secret_key
    store = await Store.open(settings.effective_database_url())
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


async def preflight(settings: Settings) -> None:
    """What would stop the server's start, checked before serving so that it fails in
    one line (``main``) instead of a traceback from inside the web server: the data
    directory must take the server id, the database must open and migrate, a key
    rotation a crash interrupted must finish."""
    from graphql_server.errors import ConfigurationError
    from graphql_server.store import Store
    from graphql_server.store.identity import finish_rotation, server_id_for

    try:
        server_id_for(settings)
    except OSError as exc:
        where = settings.effective_data_dir()
        raise ConfigurationError(
            f"cannot write to the data directory {where}: {exc.strerror or exc}"
        ) from exc
    store = await Store.open(settings.effective_database_url(), migrate=True)
    try:
        await finish_rotation(settings, store.credentials)
    finally:
        await store.close()


def serve(settings: Settings) -> int:
    from graphql_server.app import create_app
    from graphql_server.components import serve_broker, serve_components

    asyncio.run(preflight(settings))
    app = create_app(settings, broker=serve_broker(settings), components=serve_components(settings))
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    url = f"http://{_display_host(settings.host)}:{settings.port}/graphql"
    log.info("serving GraphQL at %s (open it in a browser for GraphiQL)", url)
    server.run()
    return 0


def agent(settings: Settings) -> int:
    """Discovery alone: watch the clusters (under their leases), publish to NATS."""
    from graphql_server.components import agent_for
    from graphql_server.sync.scaleout.agent import run_agent

    running = agent_for(settings)

    async def until_signalled() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await run_agent(running)

    asyncio.run(until_signalled())
    return 0


def simulate(args: argparse.Namespace) -> int:
    from graphql_server.simulator import run_simulator

    configure_logging(args.log_level, "text")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_simulator(
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
    return 0


def _display_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
