"""A loopback HTTP server answering a reflector's list and watch requests from a script.

Each list request takes the next scripted list answer, each watch request the next
scripted watch answer; every request is recorded with its query. Watch answers are
streams of lines that end, drop the connection or go silent. With nothing left to
answer, a watch stays silent until the server closes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web


@dataclass(frozen=True, slots=True)
class Answer:
    """A plain JSON answer to a list (or a watch refused with an HTTP status)."""

    body: dict[str, Any]
    status: int = 200


@dataclass(frozen=True, slots=True)
class Stream:
    """A watch answer: ``lines``, then ``end`` (normally), ``drop`` or ``stall``."""

    lines: list[bytes]
    then: str = "end"


@dataclass
class Script:
    lists: deque[Answer] = field(default_factory=deque)
    watches: deque[Answer | Stream] = field(default_factory=deque)
    requests: list[dict[str, str]] = field(default_factory=list)


def event(kind: str, obj: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": kind, "object": obj}) + b"\n"


def pod(uid: str, version: str) -> dict[str, Any]:
    return {"metadata": {"name": uid, "namespace": "ns", "uid": uid, "resourceVersion": version}}


class ScriptedServer:
    """Serves ``script`` on 127.0.0.1; ``url`` once started."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.url = ""
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.script.requests.append({"path": request.path, **request.query})
        if request.query.get("watch") != "true":
            answer = self.script.lists.popleft()
            return web.json_response(answer.body, status=answer.status)
        if not self.script.watches:
            await self._closing.wait()
            return web.Response(status=503)
        scripted = self.script.watches.popleft()
        if isinstance(scripted, Answer):
            return web.json_response(scripted.body, status=scripted.status)
        response = web.StreamResponse()
        response.content_type = "application/json"
        await response.prepare(request)
        for line in scripted.lines:
            await response.write(line)
        if scripted.then == "drop":
            assert request.transport is not None
            request.transport.abort()
        elif scripted.then == "stall":
            await self._closing.wait()
        return response
