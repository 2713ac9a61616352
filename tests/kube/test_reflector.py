"""The reflector (``kube.watching``) against scripted list and watch answers over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from kubernetes_asyncio.client import Configuration

from graphql_server.kube.client import KubeClient
from graphql_server.kube.resource_types import ResourceType
from graphql_server.kube.watching import Reflector, WatchOptions
from tests.kube.scripted import Answer, Script, ScriptedServer, Stream, event, pod

PODS = ResourceType(group="", version="v1", kind="Pod", plural="pods", namespaced=True)
FAST = WatchOptions(page_size=2, idle_timeout=5.0, backoff_initial=0.01, backoff_max=0.05)
GONE = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}


class RecordingSink:
    """Every call the reflector makes, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def listed(self, objects: list[dict[str, Any]]) -> None:
        self.calls.append(("listed", [o["metadata"]["uid"] for o in objects]))

    async def list_complete(self, uids: set[str], resource_version: str) -> None:
        self.calls.append(("list_complete", sorted(uids), resource_version))

    async def changed(self, event_type: str, obj: dict[str, Any]) -> None:
        self.calls.append(("changed", event_type, obj["metadata"]["uid"]))

    async def bookmark(self, resource_version: str) -> None:
        self.calls.append(("bookmark", resource_version))

    def report(self, phase: str, error: str | None = None, reason: str | None = None) -> None:
        self.calls.append(("report", phase, reason))

    def data(self) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] != "report"]


def listing(version: str, *uids: str, token: str | None = None) -> Answer:
    metadata: dict[str, Any] = {"resourceVersion": version}
    if token:
        metadata["continue"] = token
    return Answer({"kind": "PodList", "metadata": metadata, "items": [pod(u, "1") for u in uids]})


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    scripted = ScriptedServer(Script())
    await scripted.start()
    try:
        yield scripted
    finally:
        await scripted.close()


async def _run_until(
    server: ScriptedServer,
    sink: RecordingSink,
    done: Callable[[Reflector], bool],
    options: WatchOptions = FAST,
) -> Reflector:
    client = KubeClient(Configuration(host=server.url), request_timeout=5)
    reflector = Reflector(client, PODS, sink, options)
    task = asyncio.create_task(reflector.run(), name="test-reflector")
    try:
        async with asyncio.timeout(10):
            while not done(reflector):
                assert not task.done(), task
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()
    return reflector


def _watches(server: ScriptedServer) -> list[dict[str, str]]:
    return [r for r in server.script.requests if r.get("watch") == "true"]


def _lists(server: ScriptedServer) -> list[dict[str, str]]:
    return [r for r in server.script.requests if r.get("watch") != "true"]


async def test_pages_bookmarks_and_resume_from_the_last_version(server: ScriptedServer) -> None:
    script = server.script
    script.lists.extend([listing("10", "a", "b", token="t1"), listing("10", "c")])
    script.watches.append(
        Stream(
            [
                event("ADDED", pod("d", "11")),
                event("BOOKMARK", {"metadata": {"resourceVersion": "20"}}),
                b"this is not json\n",
                b"\n",
                event("MODIFIED", pod("a", "21")),
            ]
        )
    )
    sink = RecordingSink()
    await _run_until(server, sink, lambda _: len(_watches(server)) >= 2)
    assert sink.data() == [
        ("listed", ["a", "b"]),
        ("listed", ["c"]),
        ("list_complete", ["a", "b", "c"], "10"),
        ("changed", "ADDED", "d"),
        ("bookmark", "20"),
        ("changed", "MODIFIED", "a"),
    ]
    lists = _lists(server)
    assert [r.get("continue") for r in lists] == [None, "t1"]
    assert all(r["limit"] == "2" for r in lists)
    first, second = _watches(server)[:2]
    assert first["resourceVersion"] == "10"
    assert first["allowWatchBookmarks"] == "true"
    assert second["resourceVersion"] == "21"


@pytest.mark.parametrize("how", ["event", "status"])
async def test_410_means_relist(server: ScriptedServer, how: str) -> None:
    script = server.script
    script.lists.extend([listing("10", "a"), listing("30", "b")])
    gone: Answer | Stream = (
        Stream([event("ERROR", GONE)]) if how == "event" else Answer(GONE, status=410)
    )
    script.watches.append(gone)
    sink = RecordingSink()
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 2)
    assert sink.data() == [
        ("listed", ["a"]),
        ("list_complete", ["a"], "10"),
        ("listed", ["b"]),
        ("list_complete", ["b"], "30"),
    ]
    assert ("report", "SYNCING", "expired") in sink.calls
    assert reflector.relists == 2
    assert reflector.relist_reasons == {"initial": 1, "expired": 1}
    assert _watches(server)[1]["resourceVersion"] == "30"


async def test_an_expired_continue_token_restarts_the_list(server: ScriptedServer) -> None:
    script = server.script
    script.lists.extend(
        [listing("10", "a", "b", token="t1"), Answer(GONE, status=410), listing("12", "c")]
    )
    sink = RecordingSink()
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 1)
    assert sink.data() == [
        ("listed", ["a", "b"]),
        ("listed", ["c"]),
        ("list_complete", ["c"], "12"),
    ]
    assert reflector.relists == 1
    assert [r.get("continue") for r in _lists(server)] == [None, "t1", None]


async def test_a_dropped_connection_resumes_without_relisting(server: ScriptedServer) -> None:
    script = server.script
    script.lists.append(listing("10", "a"))
    script.watches.append(Stream([event("MODIFIED", pod("a", "15"))], then="drop"))
    sink = RecordingSink()
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 2)
    assert sink.data()[-1] == ("changed", "MODIFIED", "a")
    assert reflector.relists == 1
    assert len(_lists(server)) == 1
    assert _watches(server)[1]["resourceVersion"] == "15"
    assert reflector.restarts["unreachable"] + reflector.restarts["ended"] == 1


async def test_a_silent_watch_times_out_and_resumes(server: ScriptedServer) -> None:
    script = server.script
    script.lists.append(listing("10", "a"))
    script.watches.append(Stream([event("ADDED", pod("b", "12"))], then="stall"))
    sink = RecordingSink()
    options = WatchOptions(idle_timeout=0.2, backoff_initial=0.01, backoff_max=0.05)
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 2, options)
    assert reflector.restarts["stalled"] == 1
    assert ("report", "SYNCED", "stalled") in sink.calls
    assert reflector.relists == 1
    assert _watches(server)[1]["resourceVersion"] == "12"


async def test_a_server_error_degrades_and_retries(server: ScriptedServer) -> None:
    script = server.script
    script.lists.extend([Answer({"message": "boom"}, status=500), listing("10", "a")])
    sink = RecordingSink()
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 1)
    assert ("report", "DEGRADED", "http_500") in sink.calls
    assert reflector.restarts["http_500"] == 1
    assert sink.data() == [("listed", ["a"]), ("list_complete", ["a"], "10")]


TOO_LARGE = {
    "kind": "Status",
    "code": 504,
    "reason": "Timeout",
    "message": "Too large resource version: 21, current: 7",
    "details": {"causes": [{"reason": "ResourceVersionTooLarge"}]},
}


class RegressionSink(RecordingSink):
    def regressed(self, reason: str) -> None:
        self.calls.append(("regressed", reason))


@pytest.mark.parametrize("how", ["status", "event"])
async def test_a_too_large_resource_version_is_a_regression_and_relists(
    server: ScriptedServer, how: str
) -> None:
    script = server.script
    script.lists.extend([listing("21", "a"), listing("7", "b")])
    refused: Answer | Stream = (
        Answer(TOO_LARGE, status=504) if how == "status" else Stream([event("ERROR", TOO_LARGE)])
    )
    script.watches.append(refused)
    sink = RegressionSink()
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 2)
    regressions = [call for call in sink.calls if call[0] == "regressed"]
    assert len(regressions) == 1, sink.calls
    assert "Too large resource version" in regressions[0][1]
    # The list from the restored server is taken as it is, older than what was seen.
    assert sink.data()[-2:] == [("listed", ["b"]), ("list_complete", ["b"], "7")]
    assert reflector.relist_reasons == {"initial": 1, "regression": 1}
    assert _watches(server)[1]["resourceVersion"] == "7"


async def test_a_watch_event_older_than_seen_is_a_regression(server: ScriptedServer) -> None:
    script = server.script
    script.lists.extend([listing("10", "a"), listing("5", "c")])
    script.watches.append(
        Stream([event("MODIFIED", pod("a", "20")), event("ADDED", pod("b", "12"))], then="stall")
    )
    sink = RegressionSink()
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 2)
    assert ("changed", "ADDED", "b") not in sink.calls  # the older event is not applied
    [(_, reason)] = [call for call in sink.calls if call[0] == "regressed"]
    assert "12" in reason
    assert "20" in reason
    assert reflector.relist_reasons == {"initial": 1, "regression": 1}
    assert _watches(server)[1]["resourceVersion"] == "5"


async def test_a_relist_older_than_seen_is_a_regression(server: ScriptedServer) -> None:
    script = server.script
    script.lists.extend([listing("10", "a"), listing("4", "a"), listing("4", "a")])
    script.watches.append(Stream([event("MODIFIED", pod("a", "30")), event("ERROR", GONE)]))
    sink = RegressionSink()
    reflector = await _run_until(server, sink, lambda _: len(_watches(server)) >= 2)
    [(_, reason)] = [call for call in sink.calls if call[0] == "regressed"]
    assert "the list" in reason
    assert "30" in reason
    # Expired, relisted at an older version: detected; relisted again, and that list holds.
    assert reflector.relist_reasons == {"initial": 1, "regression": 1}
    assert len(_lists(server)) == 3
    assert _watches(server)[1]["resourceVersion"] == "4"
