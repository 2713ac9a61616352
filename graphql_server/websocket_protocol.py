"""uvicorn's websocket protocol with the frames of one loop step written together.

A subscription event reaches every subscriber of a shared execution in the same
loop step, and a subscriber that fell behind sends several frames in one step.
Writing each frame on its own costs a system call per frame, the largest part
of sending one; here the frames a connection writes during one step are kept
and handed to the socket in one write at the start of the next step (after the
step, before the loop waits for I/O again), in the order they were written.

Nothing else changes: the same framing, the same flow control (the socket's
buffer limits apply when the frames are handed over, and a paused connection
waits before sending, as uvicorn does), and anything written before a close
or an end of file goes out before it.

The protocol also offers the application a cheaper way to send a text message,
in the ASGI scope's extensions under ``TEXT_FRAMES``: an awaitable taking the
message's UTF-8 text in parts, framed here in one step (a server's frames are not
masked) rather than through the ASGI message, the websocket state machine and a
frame object. Such messages are never compressed, which permessage-deflate
allows (RFC 7692, section 6); they are sent in order with the others. Once the
connection is closing or closed it raises ``ConnectionResetError``.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from graphql_server.api.transport.websockets import TEXT_FRAMES

_FIN_TEXT = 0x81  # a final frame of a text message


def text_frame_header(length: int) -> bytes:
    """The header of an unmasked, final text frame carrying ``length`` bytes."""
    if length < 126:
        return bytes((_FIN_TEXT, length))
    if length < 1 << 16:
        return struct.pack("!BBH", _FIN_TEXT, 126, length)
    return struct.pack("!BBQ", _FIN_TEXT, 127, length)


class CoalescingTransport(asyncio.Transport):
    """A transport that gathers the writes of one loop step into one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self.writes = 0  # handed to the socket
        self.frames = 0  # asked of this transport

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self.frames += 1
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Hand what was written so far to the socket (nothing once it is closing)."""
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self.writes += 1
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._pending)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class CoalescingWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websocket protocol writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: Any = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][TEXT_FRAMES] = self.send_text_parts

    async def send_text_parts(self, *parts: bytes) -> None:
        """Send one text message whose UTF-8 encoding is ``parts`` joined."""
        if not self.writable.is_set():
            await self.writable.wait()
        if (
            self.disconnected
            or self.close_sent
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        ):
            raise ConnectionResetError("the websocket is closed")
        payload = b"".join(parts)
        self.transport.write(text_frame_header(len(payload)) + payload)
