"""``rotate-key`` killed (SIGKILL) between its steps: the next start finishes the job.

The rotation runs in a child process that kills itself right after one step: once the
new key is staged, once the credentials are re-sealed (committed), or once the old
key file is kept but before the new one is installed. A torn staged key (a crash while
writing it) is written by hand. Afterwards the real server starts; every one of 40
credentials must open with the key file it leaves, no staged key may remain, and a
further rotation must work.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.identity import KEY_FILE, secret_box_for
from tests.conftest import free_port, serving

CREDENTIALS = 40

CHILD = """
import os, signal, sys
from graphql_server import cli
from graphql_server.store import identity
from graphql_server.store.credentials import CredentialStore

def die():
    os.kill(os.getpid(), signal.SIGKILL)

point = sys.argv[1]
if point == "staged":
    stage = identity.stage_key
    def stage_key(settings, key):
        stage(settings, key)
        die()
    identity.stage_key = stage_key
elif point == "committed":
    rotate = CredentialStore.rotate
    async def rotate_then_die(self, old, new):
        await rotate(self, old, new)
        die()
    CredentialStore.rotate = rotate_then_die
elif point == "old-kept":
    def replace(source, target):
        die()
    os.replace = replace
sys.exit(cli.main(sys.argv[2:]))
"""


async def _seal_many(settings: Settings) -> dict[str, str]:
    store = await Store.open(settings.effective_database_url(), secrets=secret_box_for(settings))
    try:
        tokens = {}
        for index in range(CREDENTIALS):
            token = f"token-{index}-{os.urandom(4).hex()}"
            record = await store.credentials.create(
                name=f"c{index}", kind="grafana", type="api_token", data={"token": token}
            )
            tokens[record.id] = token
        return tokens
    finally:
        await store.close()


async def _run(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(sys.executable, *args, stdout=PIPE, stderr=PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _rotate_and_die(settings: Settings, point: str) -> None:
    code, _, err = await _run(
        "-c",
        CHILD,
        point,
        "rotate-key",
        "--data-dir",
        str(settings.data_dir),
        "--database-url",
        settings.effective_database_url(),
    )
    assert code == -signal.SIGKILL, (code, err)


async def _opened(settings: Settings, ids: list[str]) -> dict[str, str]:
    store = await Store.open(settings.effective_database_url(), secrets=secret_box_for(settings))
    try:
        return {cid: (await store.credentials.secret(cid))[1]["token"] for cid in ids}
    finally:
        await store.close()


@pytest.mark.parametrize("point", ["staged", "committed", "old-kept", "torn"])
async def test_a_rotation_cut_short_is_finished_on_the_next_start(
    database_url: str, tmp_path: Path, point: str
) -> None:
    data = tmp_path / "data"
    settings = Settings(database_url=database_url, data_dir=data, port=free_port())
    tokens = await _seal_many(settings)
    before = secret_box_for(settings).key_id
    staged = data / f"{KEY_FILE}.new"
    if point == "torn":
        staged.write_text("dGhpcyBrZXkgd2FzIGN1dCBz")  # a key cut short by a crash
        staged.chmod(0o600)
    else:
        await _rotate_and_die(settings, point)
        assert staged.exists(), "the crash left the rotation unfinished"

    async with serving(settings):  # a real start
        pass

    assert not staged.exists()
    assert stat.S_IMODE((data / KEY_FILE).stat().st_mode) == 0o600
    after = secret_box_for(settings).key_id
    assert (after == before) == (point == "torn"), "a used new key is installed, a torn one not"
    assert await _opened(settings, list(tokens)) == tokens
    # And the next rotation works from there.
    code, out, err = await _run(
        "-m",
        "graphql_server",
        "rotate-key",
        "--data-dir",
        str(data),
        "--database-url",
        database_url,
    )
    assert code == 0, err
    assert f"re-encrypted {CREDENTIALS} credential(s)" in out
    assert secret_box_for(settings).key_id != after
    assert await _opened(settings, list(tokens)) == tokens
