"""Encryption of credential secrets: round trips, tampering, keys, key files, rotation."""

from __future__ import annotations

import base64
import logging
import os
import stat
import threading
from pathlib import Path

import pytest

from graphql_server.crypto import (
    DecryptionFailed,
    Secret,
    SecretBox,
    encode_key,
    generate_key,
    key_id,
    load_or_create_key,
    parse_key,
    rotate,
)
from graphql_server.errors import BadInput, ConfigurationError, GraphQLServerError

SECRET = {"username": "admin", "password": "hunter2-very-secret", "nested": {"n": [1, 2]}}


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(generate_key())


def _flip(token: str, index: int) -> str:
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


def test_round_trip(box: SecretBox) -> None:
    token = box.encrypt(SECRET, credential_id="cred-1")
    assert isinstance(token, str)
    assert token.startswith(f"gs1.{box.key_id}.")
    assert "hunter2" not in token
    assert box.decrypt(token, credential_id="cred-1") == SECRET


def test_each_encryption_uses_a_fresh_nonce(box: SecretBox) -> None:
    assert box.encrypt(SECRET, credential_id="c") != box.encrypt(SECRET, credential_id="c")


def test_secret_values_are_stored_revealed(box: SecretBox) -> None:
    token = box.encrypt({"token": Secret("abc")}, credential_id="c")
    assert box.decrypt(token, credential_id="c") == {"token": "abc"}


def test_non_json_values_are_bad_input(box: SecretBox) -> None:
    with pytest.raises(BadInput):
        box.encrypt({"when": object()}, credential_id="c")


@pytest.mark.parametrize("position", [-1, -10, 20])
def test_tampering_fails(box: SecretBox, position: int) -> None:
    token = box.encrypt(SECRET, credential_id="cred-1")
    with pytest.raises(DecryptionFailed) as caught:
        box.decrypt(_flip(token, position), credential_id="cred-1")
    assert isinstance(caught.value, GraphQLServerError)
    assert caught.value.code == "DECRYPTION_FAILED"


def test_ciphertext_cannot_move_to_another_credential(box: SecretBox) -> None:
    token = box.encrypt(SECRET, credential_id="cred-1")
    with pytest.raises(DecryptionFailed, match="wrong key, wrong credential or tampered"):
        box.decrypt(token, credential_id="cred-2")


def test_wrong_key_fails(box: SecretBox) -> None:
    token = box.encrypt(SECRET, credential_id="c")
    other = SecretBox(generate_key())
    with pytest.raises(DecryptionFailed, match="not configured"):
        other.decrypt(token, credential_id="c")
    # Same key id but different key material (a forged header) still fails.
    forged = token.replace(box.key_id, other.key_id, 1)
    with pytest.raises(DecryptionFailed):
        other.decrypt(forged, credential_id="c")


@pytest.mark.parametrize("token", ["", "garbage", "gs1..abc", "gs0.abcd1234.AAAA", "gs1.x.!!!"])
def test_malformed_tokens_fail_typed(box: SecretBox, token: str) -> None:
    with pytest.raises(DecryptionFailed):
        box.decrypt(token, credential_id="c")


def test_short_body_fails(box: SecretBox) -> None:
    with pytest.raises(DecryptionFailed, match="corrupt"):
        box.decrypt(f"gs1.{box.key_id}.AAAA", credential_id="c")


def test_parse_key_accepts_base64_and_hex() -> None:
    key = generate_key()
    assert parse_key(encode_key(key)) == key
    assert parse_key(base64.b64encode(key).decode()) == key
    assert parse_key(encode_key(key).rstrip("=")) == key
    assert parse_key(key.hex()) == key
    assert parse_key(Secret(key.hex())) == key


@pytest.mark.parametrize("text", ["", "short", "x" * 64, base64.b64encode(b"k" * 16).decode()])
def test_bad_key_text_is_a_configuration_error_without_echo(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_key(text)
    if text:
        assert text not in caught.value.message


def test_from_key_text_builds_a_key_ring() -> None:
    new, old = generate_key(), generate_key()
    ring = SecretBox.from_key_text(f"{encode_key(new)}, {new.hex()},{encode_key(old)}")
    assert ring.key_id == key_id(new)
    assert ring.key_ids == (key_id(new), key_id(old))
    with pytest.raises(ConfigurationError):
        SecretBox.from_key_text(" , ")


def test_rotation() -> None:
    old_key, new_key = generate_key(), generate_key()
    old_box, new_box = SecretBox(old_key), SecretBox(new_key)
    token = old_box.encrypt(SECRET, credential_id="c")
    ring = SecretBox(new_key, old_key)
    assert ring.decrypt(token, credential_id="c") == SECRET
    assert ring.needs_rotation(token)
    rotated = rotate(old_box, new_box, token, credential_id="c")
    assert new_box.token_key_id(rotated) == key_id(new_key)
    assert not ring.needs_rotation(rotated)
    assert new_box.decrypt(rotated, credential_id="c") == SECRET
    with pytest.raises(DecryptionFailed):
        old_box.decrypt(rotated, credential_id="c")
    assert rotate(ring, ring, token, credential_id="c").startswith(f"gs1.{key_id(new_key)}.")


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ConfigurationError):
        SecretBox(b"too short")


def test_key_file_is_created_private(tmp_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        path = tmp_path / "state" / "secret.key"
        key = load_or_create_key(path)
    finally:
        os.umask(old_umask)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert parse_key(path.read_text()) == key
    assert load_or_create_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]


def test_key_file_open_to_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    load_or_create_key(path)
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_or_create_key(path)


def test_key_file_with_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("not a key")
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match="does not hold a valid key"):
        load_or_create_key(path)


def test_concurrent_creation_yields_one_key(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        keys.append(load_or_create_key(path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert parse_key(path.read_text()) == keys[0]


def test_nothing_reveals_secrets(
    box: SecretBox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = Secret("hunter2-very-secret")
    assert repr(secret) == "Secret('********')"
    assert str(secret) == "********"
    assert f"{secret}" == "********"
    assert "hunter2" not in repr({"password": secret})
    assert secret.reveal() == "hunter2-very-secret"
    assert secret == Secret("hunter2-very-secret")
    assert secret != Secret("other")
    key = load_or_create_key(tmp_path / "k")
    ring = SecretBox(key)
    assert encode_key(key) not in repr(ring)
    assert key.hex() not in repr(ring)
    token = ring.encrypt(SECRET, credential_id="c")
    with pytest.raises(DecryptionFailed) as caught:
        ring.decrypt(token, credential_id="other")
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value.details)
    assert encode_key(key) not in caplog.text
    assert "hunter2" not in caplog.text
    with pytest.raises(TypeError):
        hash(secret)
