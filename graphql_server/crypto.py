"""Encryption at rest for credential secrets.

This module owns the secret key (parsing it, creating the key file on first start) and
:class:`SecretBox`, which seals a credential's secret fields with AES-256-GCM. Each
token names the key that sealed it, so keys can rotate: a box holds one primary key for
sealing and any number of older keys for opening. The credential id is bound in as
associated data, so a token copied onto another credential row does not open.

It must not read the environment (the settings layer passes the key text in), touch
the store, or let a secret value reach an exception message, a repr or a log line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from graphql_server.errors import BadInput, ConfigurationError, GraphQLServerError

__all__ = [
    "KEY_ENV_VAR",
    "DecryptionFailed",
    "Secret",
    "SecretBox",
    "encode_key",
    "generate_key",
    "key_id",
    "load_or_create_key",
    "parse_key",
    "rotate",
]

log = logging.getLogger(__name__)

KEY_ENV_VAR = "GRAPHQL_SERVER_SECRET_KEY"
"""The variable the settings layer reads the key text from (never read here)."""

MASK = "********"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_FORMAT = "gs1"
_AAD_PREFIX = b"graphql_server/credential-secret"


class DecryptionFailed(GraphQLServerError):
    """A stored secret could not be opened: wrong key, wrong credential, or tampered."""

    code = "DECRYPTION_FAILED"


class Secret:
    """A string that keeps its value out of reprs, str(), f-strings and logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __bool__(self) -> bool:
        return bool(self._value)


def generate_key() -> bytes:
    return os.urandom(_KEY_BYTES)


def encode_key(key: bytes) -> str:
    """The text form of a key, as accepted by :func:`parse_key` and the key file."""
    return base64.urlsafe_b64encode(key).decode("ascii")


def key_id(key: bytes) -> str:
    """A short, non-secret fingerprint naming a key inside tokens."""
    return hashlib.sha256(b"graphql_server key id\x00" + key).hexdigest()[:8]


def parse_key(text: str | Secret) -> bytes:
    """Decode a 32-byte key written as base64 (standard or URL-safe) or 64 hex digits."""
    raw = (text.reveal() if isinstance(text, Secret) else text).strip()
    key: bytes | None = None
    if len(raw) == 2 * _KEY_BYTES:
        try:
            key = bytes.fromhex(raw)
        except ValueError:
            key = None
    if key is None:
        try:
            padded = raw.replace("-", "+").replace("_", "/") + "=" * (-len(raw) % 4)
            key = base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) != _KEY_BYTES:
        raise ConfigurationError(
            f"the secret key must be {_KEY_BYTES} random bytes written as base64 or hex; "
            'generate one with: python -c "import base64, os; '
            'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
        )
    return key


def _read_key_file(path: Path) -> bytes:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ConfigurationError(f"secret key file {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"secret key file {path} is readable by group or others (mode {mode:04o}); "
            f"restrict it with: chmod 600 {path}"
        )
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except (ConfigurationError, UnicodeDecodeError):
        raise ConfigurationError(f"secret key file {path} does not hold a valid key") from None


def _write_key(fd: int, key: bytes) -> None:
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(encode_key(key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _create_exclusive(path: Path, key: bytes) -> bool:
    """Create ``path`` holding ``key`` where hard links are unavailable; False if it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    _write_key(fd, key)
    return True


def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """Read the key file, creating it (mode 0600, atomically) with a fresh key if absent.

    A key file that group or others may access is refused. When two processes start at
    once, exactly one key is written and both use it.
    """
    target = Path(path)
    try:
        return _read_key_file(target)
    except FileNotFoundError:
        pass
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = generate_key()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        _write_key(fd, key)
        try:
            os.link(tmp_name, target)
        except FileExistsError:
            return _read_key_file(target)
        except OSError:
            if not _create_exclusive(target, key):
                return _read_key_file(target)
    finally:
        os.unlink(tmp_name)
    log.info("created secret key file %s (key id %s)", target, key_id(key))
    return key


class SecretBox:
    """Seals and opens credential secrets; the first key seals, every key opens."""

    __slots__ = ("_ciphers", "_primary")

    def __init__(self, primary: bytes, *older: bytes) -> None:
        self._ciphers: dict[str, AESGCM] = {}
        for key in (primary, *older):
            if len(key) != _KEY_BYTES:
                raise ConfigurationError(f"a secret key must be {_KEY_BYTES} bytes long")
            self._ciphers.setdefault(key_id(key), AESGCM(key))
        self._primary = key_id(primary)

    @classmethod
    def from_key_text(cls, text: str | Secret) -> SecretBox:
        """Build from ``"new"`` or ``"new,old,..."`` key text (first key is primary)."""
        raw = text.reveal() if isinstance(text, Secret) else text
        parts = [part for part in raw.split(",") if part.strip()]
        if not parts:
            raise ConfigurationError("the secret key is empty")
        primary, *older = (parse_key(part) for part in parts)
        return cls(primary, *older)

    @property
    def key_id(self) -> str:
        return self._primary

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def __repr__(self) -> str:
        return f"SecretBox(key_ids={list(self._ciphers)!r})"

    @staticmethod
    def _aad(kid: str, credential_id: str) -> bytes:
        return b"\x00".join((_AAD_PREFIX, _FORMAT.encode(), kid.encode(), credential_id.encode()))

    def encrypt(self, data: Mapping[str, Any], *, credential_id: str) -> str:
        """Seal a JSON-serialisable mapping; :class:`Secret` values are stored revealed."""
        try:
            plain = orjson.dumps(dict(data), default=_reveal)
        except TypeError:
            raise BadInput("a credential secret must hold only JSON values") from None
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._primary].encrypt(
            nonce, plain, self._aad(self._primary, credential_id)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{_FORMAT}.{self._primary}.{body}"

    def token_key_id(self, token: str) -> str:
        """The id of the key that sealed ``token``."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _FORMAT or not parts[1]:
            raise DecryptionFailed("the stored credential secret is not in a known format")
        return parts[1]

    def needs_rotation(self, token: str) -> bool:
        return self.token_key_id(token) != self._primary

    def decrypt(self, token: str, *, credential_id: str) -> dict[str, Any]:
        kid = self.token_key_id(token)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise DecryptionFailed(
                f"the credential secret was sealed with key {kid}, which is not configured",
                key_id=kid,
            )
        body = token.split(".")[2]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionFailed("the stored credential secret is corrupt") from None
        if len(raw) <= _NONCE_BYTES:
            raise DecryptionFailed("the stored credential secret is corrupt")
        try:
            plain = cipher.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad(kid, credential_id)
            )
        except InvalidTag:
            raise DecryptionFailed(
                "the credential secret does not open: wrong key, wrong credential or tampered",
                key_id=kid,
            ) from None
        try:
            value = orjson.loads(plain)
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            raise DecryptionFailed("the stored credential secret is not an object")
        return value


def _reveal(value: object) -> str:
    if isinstance(value, Secret):
        return value.reveal()
    raise TypeError


def rotate(old_box: SecretBox, new_box: SecretBox, token: str, *, credential_id: str) -> str:
    """Re-seal ``token`` under ``new_box``'s primary key."""
    return new_box.encrypt(
        old_box.decrypt(token, credential_id=credential_id), credential_id=credential_id
    )
