"""Process settings: one frozen object built once and passed explicitly.

Every option has a command-line flag and a ``GRAPHQL_SERVER_*`` environment
variable; a flag wins over the environment, the environment over the default.
This module only describes and parses options; it reads nothing by itself at
import time (``from_environ`` receives the environment as an argument).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql_server.errors import ConfigurationError

ENV_PREFIX = "GRAPHQL_SERVER_"
_SERVER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NATS_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,32}")


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """The per-user data directory (XDG on Linux, Application Support on macOS)."""
    xdg = environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "graphql-server"
    home = Path(environ.get("HOME") or Path.home())
    return home / ".local" / "share" / "graphql-server"


def _opt(default: Any, help: str, *, flag: str | None = None, secret: bool = False) -> Any:
    return field(
        default=default, repr=not secret, metadata={"help": help, "flag": flag, "secret": secret}
    )


def option_fields() -> tuple[dataclasses.Field[Any], ...]:
    """The fields of ``Settings`` that are options (a flag and a variable each)."""
    return tuple(f for f in dataclasses.fields(Settings) if not f.metadata.get("resolved"))


def _opt_list(flag: str, help: str) -> Any:
    return field(default=(), metadata={"help": help, "flag": flag, "secret": False})


@dataclass(frozen=True, slots=True)
class Settings:
    """All options of the process. ``None`` means "not set"; see ``effective_*`` helpers.

    ``user_data_dir`` is no option: ``from_environ`` resolves it once from the
    environment it is given, so that nothing reads ``os.environ`` later.
    """

    host: str = _opt("127.0.0.1", "Address to listen on.")
    port: int = _opt(8000, "Port to listen on.")
    database_url: str | None = _opt(
        None,
        "sqlite:///path/to/file.sqlite3 or postgres://user@host:5432/db "
        "(default: a SQLite file in the data directory).",
        secret=True,
    )
    data_dir: Path | None = _opt(None, "Directory for the SQLite file and the key file.")
    database_pool_size: int = _opt(
        5,
        "Database connections for queries: separate read-only connections on SQLite "
        "(queries never wait behind the sync's writes), the pool size on PostgreSQL.",
    )
    log_level: str = _opt("INFO", "Logging level (DEBUG, INFO, WARNING, ERROR).")
    log_format: str = _opt("text", "Log format: text or json.")
    kubeconfig: Path | None = _opt(None, "Kubeconfig file whose contexts are synced.")
    contexts: tuple[str, ...] = _opt_list(
        "--context", "Kubeconfig contexts to connect (repeatable; default: the current context)."
    )
    demo: bool = _opt(False, "Start a simulated cluster in-process, seed it and sync it.")
    demo_objects: int = _opt(2000, "Objects seeded into the demo cluster.")
    demo_churn: float = _opt(2.0, "Demo cluster churn in events per second.")
    include_resources: tuple[str, ...] = _opt_list(
        "--include-resource", "Resource types to sync, as plural.group (repeatable; default: all)."
    )
    exclude_resources: tuple[str, ...] = _opt_list(
        "--exclude-resource",
        "Resource types not to sync, as plural.group (repeatable; "
        "default: events, events.events.k8s.io, leases.coordination.k8s.io).",
    )
    store_secret_values: bool = _opt(
        False, "Store the values of Kubernetes Secrets (default: keys only)."
    )
    introspection: bool = _opt(True, "Allow GraphQL introspection queries.")
    max_query_depth: int = _opt(12, "Deepest GraphQL selection allowed.")
    max_aliases: int = _opt(30, "Most aliases allowed in one GraphQL operation.")
    max_tokens: int = _opt(4000, "Most tokens allowed in one GraphQL document.")
    allowed_origins: tuple[str, ...] = _opt_list(
        "--allowed-origin",
        "Other origins allowed to send requests and open websockets from a browser "
        "(repeatable; default: same origin only).",
    )
    allowed_hosts: tuple[str, ...] = _opt_list(
        "--allowed-host",
        "Host names served without an access token, besides loopback ones (repeatable; "
        "guards against DNS rebinding).",
    )
    max_request_bytes: int = _opt(
        1_048_576, "Largest HTTP request body or websocket message, in bytes (413 beyond)."
    )
    max_query_bytes: int = _opt(65_536, "Largest GraphQL document, in bytes.")
    max_query_cost: int = _opt(
        100_000,
        "Most costly operation allowed: every field counts once per item of the lists "
        "around it (page sizes, or 5 for lists without one).",
    )
    request_timeout: float = _opt(
        30.0, "Seconds an HTTP GraphQL request may run before it is cancelled (504)."
    )
    max_subscriptions_per_connection: int = _opt(
        100, "Most subscriptions running at once on one websocket."
    )
    server_id: str | None = _opt(
        None,
        "Identity of this server instance, which owns its connections "
        "(default: generated on first start and kept in the data directory).",
    )
    secret_key: str | None = _opt(
        None,
        "Key sealing credential secrets: 32 bytes as base64 or hex; 'new,old' while rotating "
        "(default: the key file secret.key in the data directory, created on first start).",
        secret=True,
    )
    auth_token: str | None = _opt(
        None, "Bearer token granting full access (queries, mutations, subscriptions).", secret=True
    )
    read_token: str | None = _opt(
        None, "Bearer token granting read-only access (no mutations).", secret=True
    )
    insecure: bool = _opt(
        False, "Allow listening on a non-loopback address without an access token."
    )
    keep_alive_interval: float = _opt(
        15.0, "Seconds between keep-alive messages on idle websockets."
    )
    nats_url: str | None = _opt(
        None,
        "NATS server URL (comma-separated for a cluster): events go through JetStream and "
        "the store is written from the operations stream (agents, several replicas).",
        secret=True,
    )
    nats_prefix: str = _opt(
        "gs", "Prefix of this deployment's NATS streams, subjects and lease bucket."
    )
    lease_ttl: float = _opt(
        10.0,
        "Seconds a cluster's or the store writer's lease lasts unrenewed: a holder that "
        "dies is replaced within this.",
    )
    nats_outbox_mb: int = _opt(
        64,
        "MiB of publishes kept until NATS acknowledges them; beyond it, publishers "
        "(watch loops, the writer) wait.",
    )
    nats_event_retention: float = _opt(
        3600.0, "Seconds the event streams keep events (how long a replica may be away)."
    )
    nats_operation_retention: float = _opt(
        86400.0,
        "Seconds the operations stream keeps operations (how long the store writer may be "
        "away and catch up).",
    )
    event_retention_days: int = _opt(
        30, "Days an event log entry is kept after it last occurred (applied in the background)."
    )
    event_retention_count: int = _opt(
        10_000, "Most event log entries kept; the oldest beyond it are deleted in the background."
    )
    health_interval: float = _opt(
        60.0,
        "Seconds between health tests of each CONNECTED connection (jittered by up to a "
        "fifth either way); Kubernetes connections count their watch streams as the test.",
    )
    health_failures: int = _opt(
        3,
        "Consecutive failed health tests after which a CONNECTED connection moves to "
        "REGISTERED (it moves back to CONNECTED when a test passes again).",
    )

    user_data_dir: Path | None = field(
        default=None, repr=False, compare=False, metadata={"resolved": True}
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``GRAPHQL_SERVER_*`` variables, then apply ``overrides``.

        Overrides whose value is ``None`` (a flag not given) leave the environment's
        value in place.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {"user_data_dir": default_data_dir(env)}
        for f in option_fields():
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f, raw)
        for name, value in overrides.items():
            if name not in {f.name for f in option_fields()}:
                raise ConfigurationError(f"unknown setting {name!r}")
            if value is None or (isinstance(value, list | tuple) and not value):
                continue
            values[name] = tuple(value) if isinstance(value, list) else value
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigurationError(f"port must be between 0 and 65535, not {self.port}")
        if self.log_format not in ("text", "json"):
            raise ConfigurationError("log format must be 'text' or 'json'")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ConfigurationError(f"unknown log level {self.log_level!r}")
        if self.database_url is not None and not self.database_url.startswith(
            ("sqlite://", "postgres://", "postgresql://")
        ):
            raise ConfigurationError("database URL must start with sqlite:// or postgres://")
        for name in (
            "max_query_depth",
            "max_aliases",
            "max_tokens",
            "demo_objects",
            "max_request_bytes",
            "max_query_bytes",
            "max_query_cost",
            "max_subscriptions_per_connection",
            "database_pool_size",
            "event_retention_days",
            "event_retention_count",
            "health_failures",
        ):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name.replace('_', ' ')} must be positive")
        if self.server_id is not None and not _SERVER_ID.fullmatch(self.server_id):
            raise ConfigurationError("server id must be 1-64 letters, digits, '.', '_' or '-'")
        if self.request_timeout <= 0:
            raise ConfigurationError("request timeout must be positive")
        if not self.health_interval >= 0.1:
            raise ConfigurationError("the health interval must be at least 0.1 seconds")
        if self.keep_alive_interval <= 0:
            raise ConfigurationError("keep alive interval must be positive")
        if not _NATS_PREFIX.fullmatch(self.nats_prefix):
            raise ConfigurationError("the NATS prefix must be 1-32 letters, digits, '_' or '-'")
        if self.lease_ttl < 1:
            raise ConfigurationError("the lease TTL must be at least 1 second")
        for name in ("nats_outbox_mb", "nats_event_retention", "nats_operation_retention"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name.replace('_', ' ')} must be positive")
        if self.auth_token is not None and self.auth_token == self.read_token:
            raise ConfigurationError("the read-only token must differ from the full-access token")

    def effective_data_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        """The data directory: the option, else the per-user one (from ``environ`` when
        given, else as ``from_environ`` resolved it, else under the home directory)."""
        if self.data_dir is not None:
            return self.data_dir
        if environ is not None:
            return default_data_dir(environ)
        if self.user_data_dir is not None:
            return self.user_data_dir
        return default_data_dir({})

    def effective_database_url(self, environ: Mapping[str, str] | None = None) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.effective_data_dir(environ) / 'inventory.sqlite3'}"

    @staticmethod
    def requested_log_level(
        flag: str | None = None, environ: Mapping[str, str] | None = None
    ) -> str:
        """The log level ``--log-level`` (``flag``) or ``GRAPHQL_SERVER_LOG_LEVEL`` asks for,
        unchecked (``""``: none): read without building settings, so that an error in
        building them, or a command without them, is reported at that level too."""
        env = os.environ if environ is None else environ
        return flag or env.get(ENV_PREFIX + "LOG_LEVEL", "")

    def with_changes(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind.startswith("Path"):
            return Path(raw).expanduser()
        return raw
    except ValueError:
        raise ConfigurationError(
            f"{ENV_PREFIX}{f.name.upper()} has an invalid value for a {kind} setting"
        ) from None


def describe() -> list[tuple[str, str, str, str]]:
    """(flag, environment variable, default, help) for every option, for docs and --help."""
    rows = []
    for f in option_fields():
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        default = f.default if f.default != () else "(none)"
        rows.append((flag, ENV_PREFIX + f.name.upper(), str(default), f.metadata["help"]))
    return rows
