"""The operations stream: discovery's writer operations on their way to the store.

Owns the JetStream stream ``<prefix>_OPERATIONS`` (one subject per cluster,
``<prefix>.ops.<cluster id>``, file storage, kept for the configured retention)
and both ends of it, as opaque entries (the sync package encodes them):

- Publishing: entries go through an outbox with one message in flight at a time,
  so a cluster's messages are stored in the order they were produced, even across
  failures and reconnects. Consecutive entries of the same cluster and lease epoch
  are batched into one message (up to the server's maximum payload); each message
  carries its producer, epoch and batch number in headers, and a ``Nats-Msg-Id``
  built from them. Large entries are compressed.
- Trimming: what the store has applied is dropped from the stream, so that it holds
  only what is still to apply (within the retention, which bounds the rest).
- Consuming: a durable pull consumer with explicit acknowledgement, created anew at
  the position the store says it reached (the consumer's server-side state is
  never trusted over the store's), fetched in stream order. Each writer has a
  consumer of its own, so that a former writer that has not yet noticed it lost
  its lease can never take messages from its successor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NoStreamResponseError, NotFoundError

from graphql_server.broker.client import BROKER_ERRORS, NATS_ERRORS, NatsClient
from graphql_server.broker.outbox import Entry, Message, Outbox, frame, unframe
from graphql_server.errors import BadInput, BrokerUnavailable

log = logging.getLogger(__name__)

PRODUCER = "Gs-Producer"
EPOCH = "Gs-Epoch"
BATCH = "Gs-Batch"
HEADROOM = 16 * 1024  # headers and framing, below the server's maximum payload
INACTIVE_AFTER = 300.0


def ops_stream(prefix: str) -> str:
    return f"{prefix}_OPERATIONS"


def ops_subject(prefix: str, cluster_id: str) -> str:
    return f"{prefix}.ops.{cluster_id}"


@dataclass(frozen=True, slots=True)
class StreamState:
    created: str
    first_seq: int
    last_seq: int


@dataclass(slots=True)
class Delivery:
    """One message of the stream: a batch of one producer's entries for one cluster."""

    seq: int
    cluster_id: str
    producer: str
    epoch: int
    batch: int
    entries: list[bytes]
    redelivered: bool = False
    msg: Any = field(default=None, repr=False)


class OperationLog:
    def __init__(
        self,
        client: NatsClient,
        prefix: str,
        *,
        producer: str,
        retention: float = 24 * 3600.0,
        outbox_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.producer = producer
        self.retention = retention
        self.stream = ops_stream(prefix)
        self.outbox = Outbox("operations", self._send, self._compose, limit_bytes=outbox_bytes)
        self._batches: Counter[str] = Counter()

    async def open(self) -> None:
        await self.client.ensure_stream(
            StreamConfig(
                name=self.stream,
                subjects=[f"{self.prefix}.ops.*"],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                discard=DiscardPolicy.OLD,
                max_age=self.retention,
                duplicate_window=min(120.0, self.retention),
            )
        )

    # -- publishing ----------------------------------------------------------------

    @property
    def max_entry(self) -> int:
        """The largest framed entry a message can carry."""
        return self.client.max_payload - HEADROOM

    def framed(self, entry: bytes) -> bytes:
        """``entry`` as it will be sent; ``BadInput`` when it cannot fit in a message."""
        data = frame(entry)
        if len(data) > self.max_entry:
            raise BadInput(f"an operation of {len(entry)} bytes does not fit in a message")
        return data

    async def publish(self, cluster_id: str, epoch: int, framed: bytes) -> int:
        """Queue a framed entry (waits while the outbox is full); returns its ticket."""
        return await self.outbox.put(f"{cluster_id} {epoch}", framed)

    def publish_nowait(self, cluster_id: str, epoch: int, framed: bytes) -> int:
        return self.outbox.put_nowait(f"{cluster_id} {epoch}", framed)

    def _compose(self, entries: Sequence[Entry]) -> Message:
        key = entries[0].key
        cluster_id, epoch = key.split(" ")
        limit = self.max_entry
        taken: list[Entry] = []
        size = 0
        for entry in entries:
            if taken and size + len(entry.data) > limit:
                break
            taken.append(entry)
            size += len(entry.data)
        self._batches[key] += 1
        batch = self._batches[key]
        return Message(
            subject=ops_subject(self.prefix, cluster_id),
            payload=b"".join(e.data for e in taken),
            headers={
                "Nats-Msg-Id": f"{self.producer}-{epoch}-{batch}",
                PRODUCER: self.producer,
                EPOCH: epoch,
                BATCH: str(batch),
            },
            entries=len(taken),
            size=size,
            last_ticket=taken[-1].ticket,
        )

    async def _send(self, message: Message) -> None:
        if not self.client.connected:
            raise BrokerUnavailable("not connected to NATS")
        try:
            await self.client.js.publish(
                message.subject, message.payload, headers=message.headers, timeout=5.0
            )
        except NoStreamResponseError:
            await self.open()  # the server lost its streams: declare ours again
            raise

    # -- consuming -----------------------------------------------------------------

    async def state(self) -> StreamState:
        try:
            info = await self.client.js.stream_info(self.stream)
        except NotFoundError:
            await self.open()
            info = await self.client.js.stream_info(self.stream)
        return StreamState(
            created=info.created.isoformat() if info.created else "",
            first_seq=int(info.state.first_seq or 0),
            last_seq=int(info.state.last_seq or 0),
        )

    async def trim(self, below: int) -> None:
        """Drop the messages before ``below``: the store has applied them."""
        if below > 1:
            await self.client.js.purge_stream(self.stream, seq=below)

    async def consumer(self, durable: str, start_seq: int) -> OperationConsumer:
        """A fresh durable consumer delivering from ``start_seq`` (1 for the beginning)."""
        js = self.client.js
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(self.stream, durable)
        config = ConsumerConfig(
            durable_name=durable,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(1, start_seq),
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=120.0,
            max_ack_pending=100_000,
            max_deliver=-1,
            filter_subject=f"{self.prefix}.ops.*",
            inactive_threshold=INACTIVE_AFTER,  # a writer that died leaves no consumer behind
        )
        await js.add_consumer(self.stream, config)
        subscription = await js.pull_subscribe_bind(durable=durable, stream=self.stream)
        return OperationConsumer(self, subscription, durable)


class OperationConsumer:
    def __init__(
        self, log_: OperationLog, subscription: JetStreamContext.PullSubscription, name: str
    ) -> None:
        self.log = log_
        self.subscription = subscription
        self.name = name
        self._prefix = f"{log_.prefix}.ops."

    async def fetch(self, most: int, wait: float) -> list[Delivery]:
        """Up to ``most`` messages in stream order: waits up to ``wait`` for the first,
        then takes what is already there."""
        try:
            first = await self.subscription.fetch(1, timeout=wait)
        except TimeoutError:
            return []
        messages = list(first)
        if most > 1:
            with contextlib.suppress(TimeoutError):
                messages.extend(await self.subscription.fetch(most - 1, timeout=0.01))
        return [self._delivery(msg) for msg in messages]

    def _delivery(self, msg: Msg) -> Delivery:
        headers = msg.headers or {}
        metadata = msg.metadata
        try:
            entries = unframe(msg.data)
            epoch = int(headers.get(EPOCH, "0"))
            batch = int(headers.get(BATCH, "0"))
        except (ValueError, zlib.error) as exc:
            log.error("operations message %d is unreadable: %s", metadata.sequence.stream, exc)
            entries, epoch, batch = [], 0, 0
        return Delivery(
            seq=int(metadata.sequence.stream),
            cluster_id=msg.subject.removeprefix(self._prefix),
            producer=headers.get(PRODUCER, ""),
            epoch=epoch,
            batch=batch,
            entries=entries,
            redelivered=int(metadata.num_delivered or 1) > 1,
            msg=msg,
        )

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Acknowledge (after commit); a lost acknowledgement only means a redelivery."""
        for delivery in deliveries:
            try:
                await delivery.msg.ack()
            except NATS_ERRORS as exc:
                log.debug("ack of %d: %s", delivery.seq, exc)
                return

    async def close(self, *, delete: bool = False) -> None:
        try:
            async with asyncio.timeout(2.0):
                await self.subscription.unsubscribe()
                if delete:
                    await self.log.client.js.delete_consumer(self.log.stream, self.name)
        except BROKER_ERRORS as exc:
            log.debug("closing the operations consumer: %s", exc)
