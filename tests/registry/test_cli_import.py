"""``graphql-server import-models``: a Meshery model tree into the configured database."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import sys
from pathlib import Path

from graphql_server.model_import import Progress
from graphql_server.registry import Source
from graphql_server.services.models import load_registry
from graphql_server.store import Store
from tests.registry.fixtures import MESHMODEL

REPO = Path(__file__).resolve().parents[2]


async def import_models(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graphql_server",
        "import-models",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_meshery_tree_is_imported_with_a_summary(database_url: str, tmp_path: Path) -> None:
    options = ("--database-url", database_url, "--data-dir", str(tmp_path))
    status, out, err = await import_models(*options, str(MESHMODEL))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "model", "version", "model", "is", "added", "updated", "unchanged", "removed"
    ]  # fmt: skip
    assert lines[1].split() == ["cert-manager", "v1.17.2", "added", "3", "0", "0", "0"]
    assert lines[2].split() == ["sealed-secrets", "2.18.0", "added", "2", "0", "0", "0"]
    assert "5 files, 5 items accepted, 0 rejected, 1 skipped" in lines[3]
    assert "\r[" not in err, "no progress bar when stderr is not a terminal"

    store = await Store.open(database_url)
    try:
        registry = await load_registry(store)
    finally:
        await store.close()
    kinds = {
        (m.name, c.kind) for m in registry.models(source=Source.IMPORTED) for c in m.components
    }
    assert kinds == {
        ("cert-manager", "Certificate"),
        ("cert-manager", "CertificateRequest"),
        ("sealed-secrets", "SealedSecret"),
    }

    broken = tmp_path / "broken"
    shutil.copytree(MESHMODEL / "sealed-secrets", broken)
    component = next(broken.rglob("SealedSecret.json"))
    component.write_text(component.read_text().replace('"kind": "SealedSecret"', '"kind": 7'))
    status, out, _ = await import_models(*options, str(broken))
    assert status == 1
    assert "1 items accepted, 1 rejected" in out
    assert "rejected: 2.18.0/v1.0.0/components/SealedSecret.json: component.kind: " in out


async def test_usage_errors_exit_2(tmp_path: Path) -> None:
    options = ("--data-dir", str(tmp_path))
    status, _, err = await import_models(*options, str(tmp_path / "missing"))
    assert status == 2
    assert "missing: no such file or directory" in err
    (tmp_path / "empty").mkdir()
    status, _, err = await import_models(*options, str(tmp_path / "empty"))
    assert status == 2
    assert "no definition files" in err
    status, _, err = await import_models(*options)
    assert status == 2
    assert "required: paths" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_only() -> None:
    shown = Terminal()
    progress = Progress(shown, 4)
    for done in range(1, 5):
        progress.update(done)
    progress.end()
    assert shown.getvalue().endswith("\r[" + "=" * 30 + "] 4/4 files\n")
    piped = io.StringIO()
    quiet = Progress(piped, 4)
    quiet.update(4)
    quiet.end()
    assert piped.getvalue() == ""
