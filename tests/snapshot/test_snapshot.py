"""``graphql-server snapshot`` against the simulator: exactly its objects, with their
components, and progress shown as bars on a terminal and as plain lines elsewhere."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import sys
from pathlib import Path
from typing import Any

import orjson

from graphql_server.kube.config import client_from_kubeconfig
from graphql_server.kube.discovery import ResourceType
from graphql_server.simulator import SimulatedCluster
from graphql_server.snapshot.progress import PlainProgress, TerminalProgress, bar, summary_table
from graphql_server.snapshot.taking import Snapshot, SnapshotResult, TypeProgress
from tests.sync.harness import Inventory, simulator_inventory

REPO = Path(__file__).resolve().parents[2]
ESCAPE = "\x1b["


def seeded(objects: int = 400) -> SimulatedCluster:
    cluster = SimulatedCluster("sim", seed=11)
    cluster.seed_objects(objects)
    return cluster


def inventory(lines: list[dict[str, Any]]) -> Inventory:
    found: Inventory = {}
    for line in lines:
        key = (line["resourceType"], line["uid"])
        assert key not in found, f"{key} written twice"
        found[key] = line["resourceVersion"]
    return found


def read_ndjson(data: bytes) -> list[dict[str, Any]]:
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


async def test_snapshot_holds_exactly_the_clusters_objects(tmp_path: Path) -> None:
    cluster = seeded()
    async with cluster.serving() as running:
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
        client = await client_from_kubeconfig(kubeconfig)
        output, progress = io.BytesIO(), io.StringIO()
        try:
            result = await Snapshot(
                client, output, PlainProgress(progress), page_size=37, concurrency=3
            ).take()
        finally:
            await client.close()
    lines = read_ndjson(output.getvalue())
    assert inventory(lines) == simulator_inventory(cluster)
    assert result.cluster_id == cluster.uid
    assert result.objects == len(lines)
    assert not result.failed
    assert {line["clusterId"] for line in lines} == {cluster.uid}
    assert not any(t.startswith(("events", "leases")) for t, _ in inventory(lines))

    pods = [line for line in lines if line["kind"] == "Pod"]
    assert pods
    component = pods[0]["component"]
    assert component["displayName"] == "Pod"
    assert component["generated"] is False
    assert component["model"]["name"]
    assert re.fullmatch(r"#[0-9A-Fa-f]{3,8}", component["styles"]["primaryColor"])
    assert all(line["component"]["model"]["name"] for line in lines)

    secrets = [line for line in lines if line["kind"] == "Secret"]
    assert secrets
    for secret in secrets:
        assert "data" not in (secret["extra"] or {})
        assert "stringData" not in (secret["extra"] or {})
        assert isinstance(secret["extra"]["dataKeys"], list)
    assert all("managedFields" not in orjson.dumps(line).decode() for line in lines)

    text = progress.getvalue()
    assert ESCAPE not in text
    assert f"listed {len(lines)} objects" in text


async def run_cli(args: list[str], **streams: Any) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "graphql_server", "snapshot", *args, cwd=REPO, **streams
    )


async def test_cli_without_a_terminal_prints_plain_lines(tmp_path: Path) -> None:
    cluster = seeded()
    target = tmp_path / "inventory.ndjson"
    async with cluster.serving() as running:
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
        process = await run_cli(
            ["--kubeconfig", str(kubeconfig), "--output", str(target)],
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    lines = read_ndjson(target.read_bytes())
    assert inventory(lines) == simulator_inventory(cluster)
    assert not (tmp_path / "inventory.ndjson.partial").exists()

    progress = stderr.decode()
    assert ESCAPE not in progress
    types = len({line["resourceType"] for line in lines})
    assert progress.startswith(f"snapshot of cluster {cluster.uid} at http://127.0.0.1:")
    finished = re.findall(r"^\[\s*(\d+)/(\d+)\] (\S+)\s+(\d+) objects in [\d.]+ s$", progress, re.M)
    assert len(finished) == int(finished[0][1]) >= types
    assert sorted(int(n) for n, *_ in finished) == list(range(1, len(finished) + 1))
    pods = sum(1 for line in lines if line["resourceType"] == "pods")
    assert ("pods", str(pods)) in {(name, count) for *_, name, count in finished}

    summary = stdout.decode()
    assert ESCAPE not in summary
    assert summary.splitlines()[0].split() == ["resource", "type", "kind", "objects", "seconds"]
    assert re.search(rf"^pods\s+Pod\s+{pods:,}\s+[\d.]+$", summary, re.M)
    assert f"{len(lines):,} objects in" in summary.splitlines()[-1]
    assert str(target) in summary


async def test_cli_on_a_terminal_draws_live_bars(tmp_path: Path) -> None:
    cluster = seeded(600)
    target = tmp_path / "inventory.ndjson"
    controller, terminal = pty.openpty()
    chunks: list[bytes] = []
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            chunks.append(os.read(controller, 65536))
        except OSError:
            loop.remove_reader(controller)

    loop.add_reader(controller, readable)
    try:
        async with cluster.serving() as running:
            kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
            args = ["--kubeconfig", str(kubeconfig), "--output", str(target)]
            process = await run_cli(
                [*args, "--page-size", "10", "--concurrency", "2"], stdout=terminal, stderr=terminal
            )
            os.close(terminal)
            await asyncio.wait_for(process.wait(), 60)
        for _ in range(50):  # what is still buffered in the terminal
            await asyncio.sleep(0.02)
    finally:
        loop.remove_reader(controller)
        os.close(controller)
    assert process.returncode == 0
    shown = b"".join(chunks).decode()
    assert inventory(read_ndjson(target.read_bytes())) == simulator_inventory(cluster)
    assert re.search(r"\x1b\[\d+F", shown), "the live region is never redrawn in place"
    assert "\x1b[J" in shown
    assert re.search(r"\[[= ]*>[ ]*\]\s+[\d,]+/[\d,]+", shown), "no progress bar with a total"
    assert re.search(r"done\x1b\[0m\s+pods\s", shown)
    assert shown.count("\x1b[?25l") == shown.count("\x1b[?25h") == 1
    assert "resource type" in shown  # the summary table follows


def test_terminal_progress_redraws_only_its_live_lines() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = TerminalProgress(stream, interval=0.1, clock=lambda: now[0])
    pods = TypeProgress(ResourceType("", "v1", "Pod", "pods", True))
    nodes = TypeProgress(ResourceType("", "v1", "Node", "nodes", False))
    progress.begin("c-1", "https://k", [pods, nodes])
    pods.started, pods.listed, pods.expected = 100.0, 10, 200
    drawn = stream.tell()
    progress.update(pods)  # throttled: the header was drawn just now
    assert stream.tell() == drawn
    now[0] += 0.15
    progress.update(pods)
    assert stream.getvalue()[drawn:].startswith("\x1b[1F\x1b[J")  # the header alone
    pods.listed = 50
    now[0] += 0.15
    drawn = stream.tell()
    progress.update(pods)
    frame = stream.getvalue()[drawn:]
    assert frame.startswith("\x1b[2F\x1b[J")  # header and one bar, redrawn
    assert "0/2 types, 50 objects, 0.3 s" in frame
    assert "pods  [======>                 ]        50/200" in frame
    pods.listed, pods.finished = 200, 101.0
    progress.update(pods)
    result = SnapshotResult("c-1", "https://k", [pods, nodes], 1.0)
    progress.end(result)
    assert re.search(r"done\x1b\[0m   pods\s+200 objects", stream.getvalue())
    assert stream.getvalue().endswith("\x1b[1F\x1b[J\x1b[?25h")


def test_bar_and_summary_table() -> None:
    assert bar(0, 100, 0) == "[>" + " " * 23 + "]"
    assert bar(100, 100, 0) == "[" + "=" * 24 + "]"
    assert "<=>" in bar(10, None, 1.0)
    pods = TypeProgress(ResourceType("", "v1", "Pod", "pods", True), listed=1200)
    pods.started, pods.finished = 0.0, 0.5
    secrets = TypeProgress(ResourceType("", "v1", "Secret", "secrets", True), error="forbidden")
    table = summary_table(SnapshotResult("c", "s", [secrets, pods], 2.0), "out.ndjson")
    assert table.splitlines()[1].split() == ["pods", "Pod", "1,200", "0.50"]
    assert table.splitlines()[2].split()[:3] == ["secrets", "Secret", "failed"]
    assert "2 resource types, 1,200 objects in 2.00 s, written to out.ndjson" in table
    assert "1 resource types could not be listed" in table
