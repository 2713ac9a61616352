"""Publishing to JetStream without losing anything: an ordered, bounded outbox.

Owns every publish a process has not yet seen acknowledged by the stream. Entries
leave in the order they were put; each composed message keeps its ``Nats-Msg-Id``
across retries, so a publish that reached the stream but whose acknowledgement was
lost is stored once (the stream's duplicate window). Failures (NATS down, a
reconnect, a stream not ready) are retried with backoff, forever, from the first
unacknowledged message onwards. The outbox is bounded in bytes: ``put`` waits while
it is full (backpressure on the producer), it never drops.

``window`` messages may be in flight at once (1 keeps a strict order even across
failures; events use a small window). How entries become messages is the
``compose`` function's business: ``batched`` puts consecutive entries of one
subject, each ``frame``d, into one message.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from graphql_server.retrying import Backoff, Jitter, retry

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Entry:
    """One thing to publish: ``key`` groups entries that may share a message."""

    key: str
    data: bytes
    ticket: int


@dataclass(slots=True)
class Message:
    """What is sent: fixed once composed, so retries resend the same bytes and id."""

    subject: str
    payload: bytes
    headers: dict[str, str]
    entries: int
    size: int
    last_ticket: int


Compose = Callable[[Sequence[Entry]], Message]
Publish = Callable[[Message], Awaitable[None]]


class PublishFailed(Exception):
    """A message of a batch was not acknowledged: ``error`` is why (it is sent again)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Outbox:
    def __init__(
        self,
        name: str,
        publish: Publish,
        compose: Compose,
        *,
        limit_bytes: int = 64 * 1024 * 1024,
        window: int = 1,
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
    ) -> None:
        self.name = name
        self._publish = publish
        self._compose = compose
        self.limit_bytes = limit_bytes
        self.window = max(1, window)
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._queue: deque[Entry] = deque()
        self._retry: list[Message] = []  # composed, sent at least once, not acknowledged
        self._tickets = 0
        self.confirmed = 0  # every ticket up to this one is acknowledged
        self.pending_bytes = 0
        self.published = 0
        self.failures = 0
        self._waiting = 0  # producers waiting for room, served first
        self._work = asyncio.Event()  # entries or retries are waiting
        self._progress = asyncio.Condition()  # room was made, or tickets were confirmed

    @property
    def pending(self) -> int:
        """Entries not yet acknowledged."""
        return self._tickets - self.confirmed

    async def put(self, key: str, data: bytes) -> int:
        """Queue ``data``, waiting while the outbox is full; returns its ticket."""
        if not self._waiting and self._fits(len(data)):
            return self.put_nowait(key, data)  # the common case: no lock to take
        self._waiting += 1
        try:
            async with self._progress:
                await self._progress.wait_for(lambda: self._fits(len(data)))
        finally:
            self._waiting -= 1
        return self.put_nowait(key, data)

    def _fits(self, size: int) -> bool:
        return self.pending_bytes == 0 or self.pending_bytes + size <= self.limit_bytes

    def put_nowait(self, key: str, data: bytes) -> int:
        """Queue without waiting (small control entries may exceed the bound)."""
        self._tickets += 1
        self._queue.append(Entry(key, data, self._tickets))
        self.pending_bytes += len(data)
        self._work.set()
        return self._tickets

    async def flushed(self, ticket: int | None = None) -> None:
        """Wait until ``ticket`` (default: everything put so far) is acknowledged."""
        target = self._tickets if ticket is None else ticket
        async with self._progress:
            await self._progress.wait_for(lambda: self.confirmed >= target)

    async def run(self) -> None:
        """Publish what is put, for ever: each batch until all of it is acknowledged."""
        backoff = Backoff(self.retry_initial, self.retry_max, Jitter.SPREAD)
        while True:
            if not (self._retry or self._queue):
                self._work.clear()
                await self._work.wait()
                continue
            await retry(self._send, backoff, errors=PublishFailed, on_retry=self._failed)
            backoff.reset()

    async def _send(self) -> None:
        """Publish the unacknowledged messages and the next entries, up to ``window``;
        ``PublishFailed`` when one was not acknowledged (it and those after it wait)."""
        batch = list(self._retry)
        while len(batch) < self.window and self._queue:
            batch.append(self._take())
        results = await asyncio.gather(
            *(self._publish(message) for message in batch), return_exceptions=True
        )
        done = 0
        failure: BaseException | None = None
        for result in results:
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                failure = result
                break
            done += 1
        for message in batch[:done]:
            self.pending_bytes -= message.size
            self.confirmed = message.last_ticket
            self.published += 1
        self._retry = batch[done:]
        async with self._progress:
            self._progress.notify_all()
        if failure is not None:
            raise PublishFailed(failure)

    def _failed(self, exc: BaseException, delay: float) -> None:
        self.failures += 1
        error = exc.error if isinstance(exc, PublishFailed) else exc
        log.warning(
            "%s: publish failed (%s); %d entries waiting, retrying in %.1fs",
            self.name,
            error or type(error).__name__,
            self.pending,
            delay,
        )

    def _take(self) -> Message:
        """Compose the next message from the head of the queue (at least one entry)."""
        message = self._compose(_same_key(self._queue, self._queue[0].key))
        for _ in range(message.entries):
            self._queue.popleft()
        return message


def _same_key(queue: deque[Entry], key: str, limit: int = 10_000) -> list[Entry]:
    group: list[Entry] = []
    for entry in queue:
        if entry.key != key or len(group) >= limit:
            break
        group.append(entry)
    return group


_FRAME = struct.Struct(">IB")  # entry length, flags
_COMPRESSED = 1
COMPRESS_ABOVE = 32 * 1024


def frame(entry: bytes) -> bytes:
    """An entry as it sits in a message of several: length-prefixed, large ones compressed."""
    flags = 0
    if len(entry) > COMPRESS_ABOVE:
        entry, flags = zlib.compress(entry, 1), _COMPRESSED
    return _FRAME.pack(len(entry), flags) + entry


def unframe(payload: bytes) -> list[bytes]:
    """The entries of a message made by ``frame``; ``ValueError`` when it is damaged."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(payload):
        if offset + _FRAME.size > len(payload):
            raise ValueError("truncated message")
        length, flags = _FRAME.unpack_from(payload, offset)
        offset += _FRAME.size
        data = payload[offset : offset + length]
        if len(data) != length:
            raise ValueError("truncated message")
        offset += length
        entries.append(zlib.decompress(data) if flags & _COMPRESSED else data)
    return entries


def batched(
    msg_id: Callable[[Entry], str],
    address: Callable[[str], tuple[str, dict[str, str]]] = lambda key: (key, {}),
    *,
    most: int = 256,
    limit: int = 512 * 1024,
) -> Compose:
    """Consecutive entries of one key, framed, in one message of at most ``most``
    entries and about ``limit`` bytes. ``address`` turns the key into the subject and
    headers to send with; the id is the first entry's."""

    def compose(entries: Sequence[Entry]) -> Message:
        taken: list[Entry] = []
        size = 0
        for entry in entries:
            if taken and (len(taken) >= most or size + len(entry.data) > limit):
                break
            taken.append(entry)
            size += len(entry.data)
        subject, headers = address(taken[0].key)
        return Message(
            subject=subject,
            payload=b"".join(e.data for e in taken),
            headers={**headers, "Nats-Msg-Id": msg_id(taken[0])},
            entries=len(taken),
            size=size,
            last_ticket=taken[-1].ticket,
        )

    return compose
