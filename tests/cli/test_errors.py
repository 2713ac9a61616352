"""Every configuration or environment error of every command is one line saying what is
wrong and what to do, with exit code 2, at once; the traceback only with DEBUG."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from graphql_server import __version__
from graphql_server.simulator import kubeconfig_dict
from tests.cli.commands import command, require_postgres, unprivileged
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_reachable, free_port


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nclusters: [unclosed\n")
    good = tmp_path / "kubeconfig"
    good.write_text(json.dumps(kubeconfig_dict("https://127.0.0.1:1", "only")))
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory\n")
    return {
        "bad": str(bad),
        "good": str(good),
        "missing": str(tmp_path / "nosuch.yaml"),
        "file": str(a_file),
        "data": str(tmp_path / "data"),
    }


KUBECONFIG_CASES = [
    (["--kubeconfig", "{bad}"], "is not valid YAML"),
    (["--kubeconfig", "{missing}"], "does not exist"),
    (["--kubeconfig", "{good}", "--context", "nosuch"], "has no context 'nosuch' (it has: only)"),
]


def _fill(args: list[str], files: dict[str, str]) -> list[str]:
    return [arg.format(**files) for arg in args]


@pytest.mark.parametrize(("args", "fragment"), KUBECONFIG_CASES)
@pytest.mark.parametrize("verb", ["serve", "agent"])
def test_kubeconfig_errors(
    verb: str, args: list[str], fragment: str, files: dict[str, str]
) -> None:
    extra = ["--data-dir", files["data"], "--port", str(free_port())] if verb == "serve" else []
    extra += ["--nats-url", "nats://127.0.0.1:1"] if verb == "agent" else []
    command(verb, *_fill(args, files), *extra).refused(fragment)
    assert not Path(files["data"]).exists()  # refused before anything was created


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--kubeconfig", "{bad}"], "is not valid YAML"),
        (["--kubeconfig", "{missing}"], "does not exist"),
        (["--kubeconfig", "{good}", "--context", "nosuch"], "has no context 'nosuch'"),
    ],
)
def test_snapshot_kubeconfig_errors(
    args: list[str], fragment: str, files: dict[str, str], tmp_path: Path
) -> None:
    output = tmp_path / "out.ndjson"
    command("snapshot", *_fill(args, files), "--output", str(output)).refused(fragment)
    assert not output.exists()
    assert not output.with_name(output.name + ".partial").exists()


@pytest.mark.parametrize("where", ["missing/out.ndjson", "a-file/out.ndjson"])
def test_a_snapshot_output_that_cannot_be_written(
    where: str, files: dict[str, str], tmp_path: Path
) -> None:
    output = tmp_path / where
    line = command("snapshot", "--kubeconfig", files["good"], "--output", str(output)).refused(
        f"cannot write the snapshot to {output}"
    )
    assert ".partial" not in line
    assert "pass --output" in line


@pytest.mark.parametrize("verb", ["serve", "migrate", "rotate-key"])
def test_a_data_dir_that_is_a_file(verb: str, files: dict[str, str]) -> None:
    extra = ["--port", str(free_port())] if verb == "serve" else []
    line = command(verb, "--data-dir", files["file"], *extra).refused("is a file")
    assert files["file"] in line
    assert Path(files["file"]).read_text() == "not a directory\n"


def test_debug_shows_the_traceback(files: dict[str, str]) -> None:
    done = command(
        "serve", "--kubeconfig", files["missing"], "--data-dir", files["data"],
        "--log-level", "DEBUG",
    )  # fmt: skip
    assert done.code == 2
    assert "Traceback" in done.stderr
    assert done.lines[-1].startswith("graphql-server: the kubeconfig")


def test_a_busy_port_for_the_simulator(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = tmp_path / "kubeconfig"
        done = command("simulate", "--port", str(port), "--kubeconfig-out", str(out))
        done.refused(f"port {port} is already in use")
    assert not out.exists()


@pytest.mark.parametrize("verb", ["serve", "migrate", "rotate-key"])
def test_postgres_that_is_not_there(verb: str, tmp_path: Path) -> None:
    extra = ["--port", str(free_port())] if verb == "serve" else []
    url = f"postgres://postgres@127.0.0.1:{free_port()}/test"
    line = command(verb, "--database-url", url, "--data-dir", str(tmp_path / "d"), *extra).refused(
        "cannot reach PostgreSQL at 127.0.0.1"
    )
    assert "start it or fix --database-url" in line
    assert not (tmp_path / "d").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("verb", ["serve", "migrate"])
def test_a_postgres_database_that_does_not_exist(verb: str, tmp_path: Path) -> None:
    require_postgres(asyncio.run(_postgres_reachable()))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/gs_no_such_database"
    extra = ["--port", str(free_port())] if verb == "serve" else []
    line = command(verb, "--database-url", url, "--data-dir", str(tmp_path / "d"), *extra).refused(
        "has no database 'gs_no_such_database'"
    )
    assert "createdb gs_no_such_database" in line


@pytest.mark.parametrize("with_database", [False, True], ids=["empty", "with-database"])
@pytest.mark.parametrize("verb", ["serve", "migrate"])
def test_a_read_only_data_dir(verb: str, with_database: bool, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if with_database:
        assert command("migrate", "--data-dir", str(data_dir)).code == 0
        assert (data_dir / "inventory.sqlite3").exists()
    before = sorted(p.name for p in data_dir.iterdir())
    data_dir.chmod(0o555)
    try:
        extra = ["--port", str(free_port())] if verb == "serve" else []
        done = command(verb, "--data-dir", str(data_dir), *extra, prefix=unprivileged())
        done.refused("is read-only", within=10)
    finally:
        data_dir.chmod(0o755)
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_version() -> None:
    done = command("--version")
    assert (done.code, done.stdout.strip()) == (0, f"graphql-server {__version__}")


def test_an_unreachable_nats_is_one_line_and_the_server_ends(tmp_path: Path) -> None:
    nats_url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    data_dir = tmp_path / "d"
    done = command(
        "serve",
        *("--port", str(free_port()), "--data-dir", str(data_dir)),
        *("--nats-url", nats_url, "--log-level", "ERROR"),
        timeout=75,
    )
    # NATS is given 30 s to answer; then the process ends, having written nothing.
    done.refused(f"cannot connect to NATS at {nats_url}", within=50)
    assert not data_dir.exists(), sorted(p.name for p in data_dir.iterdir())
