"""This process's identity at rest: its server id, its secret key, its instance row.

Owns the two small files of the data directory that must survive restarts: ``server-id``
(the server instance that owns this process's connections, unless ``--server-id`` is
given) and ``secret.key`` (the credential key, unless ``GRAPHQL_SERVER_SECRET_KEY`` is
given; created with mode 0600 by :func:`crypto.load_or_create_key`), and the
``server_instances`` row.

A key rotation goes in three steps, each safe to be cut short by a crash: the new key
is staged as ``secret.key.new`` (written and synced before anything uses it), every
credential is re-sealed under it in one transaction, and it is installed as
``secret.key`` (the previous one kept as ``secret.key.old``). :func:`finish_rotation`,
run on every start and before every rotation, completes one that a crash interrupted:
a staged key that is incomplete was never used and is removed; a complete one is
used to re-seal whatever is not yet under it (credentials open under either key)
and installed. Called by the entry layer when the process starts, never at
import time. Must not log or return a key's text.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from graphql_server import __version__
from graphql_server.crypto import SecretBox, encode_key, key_id, load_or_create_key, parse_key
from graphql_server.errors import ConfigurationError
from graphql_server.settings import Settings
from graphql_server.store.connection_models import ServerInstance
from graphql_server.store.credentials import CredentialStore

log = logging.getLogger(__name__)

SERVER_ID_FILE = "server-id"
KEY_FILE = "secret.key"


def key_file(settings: Settings) -> Path:
    return settings.effective_data_dir() / KEY_FILE


def secret_box_for(settings: Settings) -> SecretBox:
    """The box sealing credentials: from the configured key, else from the key file."""
    if settings.secret_key:
        return SecretBox.from_key_text(settings.secret_key)
    return SecretBox(load_or_create_key(key_file(settings)))


def secrets_for(settings: Settings) -> SecretBox | Callable[[], SecretBox]:
    """A configured key now (a bad one fails the start); a key file only once needed."""
    if settings.secret_key:
        return secret_box_for(settings)
    return functools.partial(secret_box_for, settings)


def server_id_for(settings: Settings) -> str:
    """The configured server id, else the one kept in the data directory (made once)."""
    if settings.server_id:
        return settings.server_id
    path = settings.effective_data_dir() / SERVER_ID_FILE
    try:
        return _read_id(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    new_id = str(uuid.uuid4())
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(new_id + "\n")
        os.chmod(tmp_name, 0o644)
        try:
            os.link(tmp_name, path)  # atomic: of two processes starting at once, one wins
        except FileExistsError:
            return _read_id(path)
    finally:
        os.unlink(tmp_name)
    log.info("this server instance is %s (kept in %s)", new_id, path)
    return new_id


def _read_id(path: Path) -> str:
    text = path.read_text(encoding="ascii").strip()
    if not text:
        raise ConfigurationError(f"the server id file {path} is empty; delete it or set one")
    return text


async def register_instance(server_id: str) -> None:
    """Record that this server instance started (hostname, version, start time)."""
    now = datetime.now(UTC)
    await ServerInstance.update_or_create(
        id=server_id,
        defaults={
            "hostname": socket.gethostname()[:253],
            "version": __version__,
            "started_at": now,
        },
    )


def stage_key(settings: Settings, key: bytes) -> Path:
    """Write ``key`` next to the key file as ``secret.key.new`` (mode 0600), not in use yet."""
    staged = key_file(settings).with_name(KEY_FILE + ".new")
    staged.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(encode_key(key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return staged


def install_staged_key(settings: Settings) -> Path:
    """Make the staged key the key file; the previous one is kept as ``secret.key.old``."""
    current = key_file(settings)
    staged = current.with_name(KEY_FILE + ".new")
    previous = current.with_name(KEY_FILE + ".old")
    if current.exists():
        previous.unlink(missing_ok=True)
        os.link(current, previous)
    os.replace(staged, current)
    return current


async def finish_rotation(settings: Settings, credentials: CredentialStore) -> int | None:
    """Complete a rotation a crash interrupted (see the module doc); returns how many
    credentials were re-sealed, None when no rotation was pending."""
    if settings.secret_key:
        return None
    current = key_file(settings)
    staged = current.with_name(KEY_FILE + ".new")
    try:
        new_key = parse_key(staged.read_text(encoding="ascii"))
    except FileNotFoundError:
        return None
    except (ConfigurationError, UnicodeDecodeError, OSError):
        staged.unlink(missing_ok=True)
        log.warning(
            "removed the incomplete new key of an interrupted rotation; "
            "credentials stay under the current key"
        )
        return None
    old_key = load_or_create_key(current)
    count = await credentials.rotate(SecretBox(new_key, old_key), SecretBox(new_key))
    install_staged_key(settings)
    log.warning(
        "finished an interrupted key rotation: %d credential(s) under key %s",
        count,
        key_id(new_key),
    )
    return count
