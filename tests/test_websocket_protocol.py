"""The server's websocket protocol: writes of one loop step go out together and in
order, text sent through the ``TEXT_FRAMES`` extension is framed as the websocket
library reads it, and interleaves in order with ordinary ASGI messages."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import pytest
import uvicorn
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from graphql_server.api.transport.websockets import TEXT_FRAMES
from graphql_server.websocket_protocol import (
    CoalescingTransport,
    CoalescingWebSocketProtocol,
    text_frame_header,
)
from tests.conftest import free_port


@pytest.mark.parametrize("length", [0, 1, 125, 126, 65535, 65536, 70000])
def test_text_frames_parse_as_the_websocket_library_reads_them(length: int) -> None:
    payload = ("é" * length).encode()[:length]
    reader = StreamReader()
    reader.feed_data(text_frame_header(length) + payload)
    parser = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as done:
        next(parser)
    frame = done.value.value
    assert (frame.opcode, frame.fin, frame.rsv1) == (Opcode.TEXT, True, False)
    assert frame.data == payload


async def test_writes_of_one_step_are_one_write_in_order() -> None:
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
    coalescing = CoalescingTransport(transport, loop)  # type: ignore[arg-type]
    try:
        for part in (b"one,", b"two,", b"three"):
            coalescing.write(part)
        assert coalescing.writes == 0
        assert coalescing.get_write_buffer_size() == len(b"one,two,three")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert (coalescing.writes, coalescing.frames) == (1, 3)
        assert await asyncio.wait_for(loop.sock_recv(theirs, 100), 5) == b"one,two,three"
        coalescing.write(b"last")
        coalescing.close()  # what was written goes out before the end
        received = b""
        while chunk := await asyncio.wait_for(loop.sock_recv(theirs, 100), 5):
            received += chunk
        assert received == b"last"
    finally:
        transport.close()
        theirs.close()


async def test_extension_messages_interleave_in_order_with_asgi_messages() -> None:
    big = "x" * 70000
    after_close: list[BaseException] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        send_parts = scope["extensions"][TEXT_FRAMES]
        await send({"type": "websocket.send", "text": "first"})
        await send_parts(b"sec", "ond ✓".encode())
        await send_parts(big.encode())
        await send({"type": "websocket.send", "text": "last"})
        await send({"type": "websocket.close", "code": 1000})
        try:
            await send_parts(b"too late")
        except ConnectionResetError as exc:
            after_close.append(exc)

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, ws=CoalescingWebSocketProtocol
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="test-uvicorn")
    try:
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.02)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"ws://127.0.0.1:{port}/", max_msg_size=0) as ws,
        ):
            texts = []
            async for message in ws:
                assert message.type is aiohttp.WSMsgType.TEXT
                texts.append(message.data)
        assert texts == ["first", "second ✓", big, "last"]
        assert ws.close_code == 1000
        assert len(after_close) == 1
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
