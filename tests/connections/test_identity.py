"""This process's identity at rest: the server id and secret key files, and rotating
the key with ``graphql-server rotate-key``."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from graphql_server.cli import build_parser, rotate_key
from graphql_server.crypto import DecryptionFailed, SecretBox, encode_key, generate_key
from graphql_server.errors import ConfigurationError
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.identity import KEY_FILE, SERVER_ID_FILE, secret_box_for, server_id_for


def test_the_server_id_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = server_id_for(settings)
    assert (tmp_path / "data" / SERVER_ID_FILE).read_text().strip() == first
    assert server_id_for(settings) == first
    assert server_id_for(settings.with_changes(server_id="edge-1")) == "edge-1"
    (tmp_path / "data" / SERVER_ID_FILE).write_text("\n")
    with pytest.raises(ConfigurationError):
        server_id_for(settings)
    with pytest.raises(ConfigurationError):
        Settings.from_environ({"GRAPHQL_SERVER_SERVER_ID": "no spaces please"})


def test_the_key_file_is_private_and_a_configured_key_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    box = secret_box_for(settings)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_box_for(settings).key_id == box.key_id
    key = generate_key()
    configured = Settings.from_environ(
        {"GRAPHQL_SERVER_SECRET_KEY": encode_key(key), "GRAPHQL_SERVER_DATA_DIR": str(tmp_path)}
    )
    assert secret_box_for(configured).key_id == SecretBox(key).key_id
    assert encode_key(key) not in repr(configured)
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        secret_box_for(settings)


async def _seal(database_url: str, box: SecretBox) -> str:
    store = await Store.open(database_url, secrets=box)
    try:
        record = await store.credentials.create(
            name="token", kind="grafana", type="api_token", data={"token": "rotate-me-5c1"}
        )
    finally:
        await store.close()
    return record.id


async def _open(database_url: str, box: SecretBox, credential_id: str) -> str:
    store = await Store.open(database_url, secrets=box)
    try:
        return str((await store.credentials.secret(credential_id))[1]["token"])
    finally:
        await store.close()


async def test_rotating_a_key_file(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(
        ["rotate-key", "--data-dir", str(tmp_path), "--database-url", database_url]
    )
    assert args.command == "rotate-key"
    assert args.new_key is None
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    old = secret_box_for(settings)
    credential_id = await _seal(database_url, old)
    assert await rotate_key(settings, None) == 0
    new = secret_box_for(settings)
    assert new.key_id != old.key_id
    assert (tmp_path / f"{KEY_FILE}.old").exists()
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert await _open(database_url, new, credential_id) == "rotate-me-5c1"
    with pytest.raises(DecryptionFailed):
        await _open(database_url, old, credential_id)
    output = capsys.readouterr().out
    assert "re-encrypted 1 credential(s)" in output
    assert "GRAPHQL_SERVER_SECRET_KEY=" not in output


async def test_rotating_a_configured_key(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_key, new_key = generate_key(), generate_key()
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, secret_key=encode_key(old_key)
    )
    credential_id = await _seal(database_url, SecretBox(old_key))
    assert await rotate_key(settings, encode_key(new_key)) == 0
    assert not (tmp_path / KEY_FILE).exists(), "a configured key never touches the key file"
    assert await _open(database_url, SecretBox(new_key), credential_id) == "rotate-me-5c1"
    assert encode_key(new_key) not in capsys.readouterr().out
    # "new,old" opens both while a rotation is rolled out.
    both = SecretBox.from_key_text(f"{encode_key(new_key)},{encode_key(old_key)}")
    assert await _open(database_url, both, credential_id) == "rotate-me-5c1"
    # A wrong old key changes nothing.
    wrong = settings.with_changes(secret_key=encode_key(generate_key()))
    with pytest.raises(DecryptionFailed):
        await rotate_key(wrong, None)
    assert await _open(database_url, SecretBox(new_key), credential_id) == "rotate-me-5c1"
