"""Read and unread state of event log entries, bulk marking and deleting by ids and by
filter, and the unread count as a query and live over websockets."""

from __future__ import annotations

from tests.conftest import RunningServer
from tests.connections.gql import codes
from tests.helpers import TRANSPORT_WS, data, ws_client
from tests.notifications.gql import (
    CREATE_ENV,
    DELETE,
    MARK_READ,
    MARK_UNREAD,
    events,
    unread,
)

ENVIRONMENT = {"categories": ["environment"]}


async def _environments(url: str, *names: str) -> dict[str, str]:
    """Create environments; the id of the event log entry of each, by name."""
    for name in names:
        await data(url, CREATE_ENV, {"input": {"name": name}})
    found = await events(url, ENVIRONMENT)
    return {e["subjectName"]: e["id"] for e in found}


async def test_marking_read_and_unread(server: RunningServer) -> None:
    url = server.graphql
    ids = await _environments(url, "env-a", "env-b", "env-c")
    assert await unread(url) == 3
    assert {(e["read"], e["count"]) for e in await events(url)} == {(False, 1)}
    assert (await data(url, MARK_READ, {"ids": [ids["env-a"]]}))["markEventsRead"] == 1
    assert (await data(url, MARK_READ, {"ids": [ids["env-a"]]}))["markEventsRead"] == 0
    assert await unread(url) == 2
    assert [e["subjectName"] for e in await events(url, {"read": True})] == ["env-a"]
    assert len(await events(url, {"read": False})) == 2
    assert (await data(url, MARK_UNREAD, {"ids": [ids["env-a"]]}))["markEventsUnread"] == 1
    assert await unread(url) == 3
    by_filter = await data(url, MARK_READ, {"filter": {"search": "ENV-B"}})
    assert by_filter["markEventsRead"] == 1
    both = await data(url, MARK_READ, {"ids": [ids["env-a"]], "filter": {"search": "env-c"}})
    assert both["markEventsRead"] == 0, "ids and a filter select the ids the filter selects"
    assert await unread(url, {"search": "env-b"}) == 0
    assert await unread(url, {"search": "env-c"}) == 1
    everything = await data(url, MARK_READ, {"filter": {}})
    assert everything["markEventsRead"] == 2
    assert await unread(url) == 0


async def test_bad_input_changes_nothing(server: RunningServer) -> None:
    url = server.graphql
    ids = await _environments(url, "env-a", "env-b")
    assert await codes(url, MARK_READ, {}) == ["BAD_INPUT"]
    assert await codes(url, MARK_READ, {"ids": ["not-an-id"]}) == ["BAD_INPUT"]
    assert await codes(url, MARK_READ, {"ids": ["9" * 30]}) == ["BAD_INPUT"]
    assert await codes(url, MARK_READ, {"ids": ["-1"]}) == ["BAD_INPUT"]
    assert await codes(url, MARK_READ, {"filter": {"categories": ["nope"]}}) == ["BAD_INPUT"]
    assert await codes(url, MARK_UNREAD, {"ids": []}) == ["BAD_INPUT"]
    assert await codes(url, DELETE, {}) == ["BAD_INPUT"]
    assert await codes(url, DELETE, {"ids": [ids["env-a"], "x"]}) == ["BAD_INPUT"]
    assert await unread(url) == 2
    assert len(await events(url)) == 2


async def test_bulk_delete_by_ids_and_by_filter(server: RunningServer) -> None:
    url = server.graphql
    ids = await _environments(url, "env-a", "env-b", "env-c", "env-d")
    none = await data(url, DELETE, {"ids": [ids["env-a"]], "filter": {"search": "env-b"}})
    assert none["deleteEvents"] == 0
    assert (await data(url, DELETE, {"ids": [ids["env-a"], ids["env-b"]]}))["deleteEvents"] == 2
    assert (await data(url, DELETE, {"ids": [ids["env-a"]]}))["deleteEvents"] == 0
    await data(url, MARK_READ, {"ids": [ids["env-c"]]})
    read = await data(url, DELETE, {"filter": {"read": True, "categories": ["environment"]}})
    assert read["deleteEvents"] == 1
    assert [e["subjectName"] for e in await events(url)] == ["env-d"]
    assert (await data(url, DELETE, {"filter": {}}))["deleteEvents"] == 1
    assert await events(url) == []
    assert await unread(url) == 0


async def test_live_unread_count(server: RunningServer) -> None:
    url = server.graphql
    await _environments(url, "before")
    async with ws_client(server.ws_url, TRANSPORT_WS) as client:
        counting = await client.subscribe(
            "subscription ($f: EventFilter) { unreadEventCount(filter: $f) }",
            {"f": ENVIRONMENT},
        )

        async def next_count() -> int:
            return int((await client.next_data(counting))["data"]["unreadEventCount"])

        assert await next_count() == 1, "the current count comes at once"
        ids = await _environments(url, "env-a")
        assert await next_count() == 2
        await data(url, MARK_READ, {"filter": ENVIRONMENT})
        assert await next_count() == 0
        await data(url, "mutation { createCredential(input: {name: \"c\", kind: \"prometheus\", "
                   'type: "bearer", data: {token: "t0ken-value"}}) { id } }')  # fmt: skip
        await data(url, MARK_UNREAD, {"ids": [ids["env-a"]]})
        assert await next_count() == 1, "entries outside the filter do not change it"
        await data(url, DELETE, {"ids": [ids["env-a"]]})
        assert await next_count() == 0
