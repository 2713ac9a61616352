"""The NATS JetStream broker, for several processes sharing one stream of events.

Owns the event streams (one per topic: resources, sync status, connections, log;
file storage, kept for the configured retention) and this process's place in them:

- ``publish`` puts the event in the process's outbox (``broker.outbox``): ordered,
  bounded, acknowledged by the stream, retried across reconnects with the same
  ``Nats-Msg-Id``; nothing is lost while NATS is away, publishers wait when the
  outbox is full. Events published together travel together, several to a
  message.
- Each topic has one follower per process: an ephemeral push consumer that feeds
  the local bounded mailboxes (``broker.base``). Every process sees every event, in
  the stream's order. After a reconnect (or a missed heartbeat) the follower starts
  a new consumer right after the last sequence it delivered; when the stream no
  longer holds what it missed (retention, or a stream recreated), its subscribers
  get a ``Missed`` marker and refetch.
- Resource and sync-status events carry the store writer's lease epoch
  (``Gs-Fence``): what a former writer publishes late, after its successor took
  over and had subscribers refetch, is dropped by every follower.
- Cluster commands are delivered in-process at once and sent on a plain NATS
  subject to the other processes (``Gs-Origin`` tells a process its own commands).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from nats.aio.subscription import Subscription as NatsSubscription
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

from graphql_server.broker.base import DEFAULT_MAILBOX, Broker, Overflows, Subscription
from graphql_server.broker.client import BROKER_ERRORS, NATS_ERRORS, NatsClient, broker_backoff
from graphql_server.broker.codec import decode, encode
from graphql_server.broker.memory import InProcessBroker
from graphql_server.broker.outbox import Message, Outbox, batched, frame, unframe
from graphql_server.errors import BadInput, BrokerUnavailable, ConfigurationError
from graphql_server.events import (
    COMMANDS_TOPIC,
    CONNECTIONS_TOPIC,
    LOG_TOPIC,
    RESOURCES_TOPIC,
    SYNC_TOPIC,
    ClusterCommand,
    Missed,
)
from graphql_server.retrying import retry
from graphql_server.tasks import TaskOwner, TaskRestarts

log = logging.getLogger(__name__)

EVENT_TOPICS = (RESOURCES_TOPIC, SYNC_TOPIC, CONNECTIONS_TOPIC, LOG_TOPIC)
FENCED_TOPICS = (RESOURCES_TOPIC, SYNC_TOPIC)  # published by the store writer only
ORIGIN = "Gs-Origin"
FENCE = "Gs-Fence"
_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True, slots=True)
class NatsOptions:
    prefix: str = "gs"
    outbox_bytes: int = 64 * 1024 * 1024
    event_retention: float = 3600.0
    window: int = 16
    heartbeat: float = 1.0
    connect_wait: float = 30.0

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ConfigurationError("the NATS prefix must be 1-32 letters, digits, '_' or '-'")


def _address(key: str) -> tuple[str, dict[str, str]]:
    """An outbox key, ``subject`` or ``subject fence``, as the subject and headers."""
    subject, _, fence = key.partition(" ")
    return subject, ({FENCE: fence} if fence else {})


def event_stream(prefix: str, topic: str) -> str:
    return f"{prefix}_EVENTS_{topic.upper()}"


def event_subject(prefix: str, topic: str) -> str:
    return f"{prefix}.events.{topic}"


def commands_subject(prefix: str) -> str:
    return f"{prefix}.commands"


class NatsBroker(Broker):
    def __init__(
        self,
        url: str,
        options: NatsOptions | None = None,
        *,
        name: str = "graphql-server",
        follow: Iterable[str] = EVENT_TOPICS,
        restarts: TaskRestarts | None = None,
    ) -> None:
        self.options = options or NatsOptions()
        self.client = NatsClient(url, name=name)
        self.instance = uuid.uuid4().hex[:16]
        self.local = InProcessBroker()
        self.tasks = TaskOwner("nats-broker", restarts)
        self.follow = tuple(follow)
        self.outbox = Outbox(
            "events",
            self._send,
            batched(lambda entry: f"{self.instance}-{entry.ticket}", _address),
            limit_bytes=self.options.outbox_bytes,
            window=self.options.window,
        )
        self.followers: dict[str, Follower] = {}
        self._commands: NatsSubscription | None = None
        # The store writer's lease epoch, sent with resource and sync events: followers
        # drop what a former writer publishes late, after its successor has spoken.
        self.fence = 0

    @property
    def prefix(self) -> str:
        return self.options.prefix

    @property
    def overflows(self) -> Overflows:
        return self.local.overflows

    async def start(self) -> None:
        await self.client.connect(self.options.connect_wait)
        try:
            commands = await self.client.nc.subscribe(commands_subject(self.prefix))
            self._commands = commands
            # Subscribed on the server before start() returns: the streams' requests
            # travel after the SUB and the server answers a connection in order. (Not
            # ``flush()``: nats-py writes its PING ahead of commands still buffered.)
            await self.ensure_streams()
        except NATS_ERRORS as exc:
            await self.client.close()
            raise BrokerUnavailable(f"cannot set up the event streams: {exc}") from exc
        self.tasks.keep("outbox", self.outbox.run)
        self.tasks.keep("commands", lambda: self._receive_commands(commands))
        for topic in self.follow:
            follower = Follower(self, topic)
            self.followers[topic] = follower
            self.tasks.keep(f"follow:{topic}", follower.run)

    async def ensure_streams(self) -> None:
        retention = self.options.event_retention
        for topic in EVENT_TOPICS:
            await self.client.ensure_stream(
                StreamConfig(
                    name=event_stream(self.prefix, topic),
                    subjects=[event_subject(self.prefix, topic)],
                    retention=RetentionPolicy.LIMITS,
                    storage=StorageType.FILE,
                    discard=DiscardPolicy.OLD,
                    max_age=retention,
                    duplicate_window=min(120.0, retention),
                )
            )

    async def stop(self) -> None:
        """Hand over what the outbox holds (for a few seconds at most), then disconnect."""
        if self.outbox.pending and self.client.connected:
            try:
                async with asyncio.timeout(5.0):
                    await self.outbox.flushed()
            except TimeoutError:
                log.warning("stopping with %d events not acknowledged", self.outbox.pending)
        await self.tasks.close()
        await self.local.stop()
        await self.client.close()

    async def publish(self, topic: str, message: object) -> None:
        if topic in EVENT_TOPICS:
            key = event_subject(self.prefix, topic)
            if topic in FENCED_TOPICS:
                key = f"{key} {self.fence}"
            await self.outbox.put(key, frame(encode(message)))
            return
        self.local.publish_nowait(topic, message)
        if topic == COMMANDS_TOPIC:
            await self._send_command(message)

    def subscribe(self, topic: str, maxsize: int = DEFAULT_MAILBOX) -> Subscription:
        return self.local.subscribe(topic, maxsize)

    def subscriber_count(self, topic: str | None = None) -> int:
        return self.local.subscriber_count(topic)

    async def _send(self, message: Message) -> None:
        if not self.client.connected:
            raise BrokerUnavailable("not connected to NATS")
        try:
            await self.client.js.publish(
                message.subject, message.payload, headers=message.headers, timeout=5.0
            )
        except NoStreamResponseError:
            # The server lost its streams (storage wiped): declare them again.
            await self.ensure_streams()
            raise

    async def _send_command(self, message: object) -> None:
        try:
            await self.client.nc.publish(
                commands_subject(self.prefix), encode(message), headers={ORIGIN: self.instance}
            )
        except BROKER_ERRORS as exc:
            log.warning("cannot send %r to the other processes: %s", message, exc)

    async def _receive_commands(self, subscription: NatsSubscription) -> None:
        async for msg in subscription.messages:
            if (msg.headers or {}).get(ORIGIN) == self.instance:
                continue
            try:
                command = decode(msg.data)
            except BadInput as exc:
                log.warning("ignoring a command: %s", exc.message)
                continue
            if isinstance(command, ClusterCommand):
                self.local.publish_nowait(COMMANDS_TOPIC, command)


class Follower:
    """Follows one topic's stream into the local mailboxes, from where it left off."""

    def __init__(self, broker: NatsBroker, topic: str) -> None:
        self.broker = broker
        self.topic = topic
        self.stream = event_stream(broker.prefix, topic)
        self.last: int | None = None  # stream sequence last delivered locally
        self.created: str | None = None  # when the stream was created
        self.delivered = 0
        self.lost = 0
        self.fence = 0  # the newest store writer epoch seen on this stream
        self.stale = 0  # messages dropped as a former writer's
        self.restarts: Counter[str] = Counter()

    async def run(self) -> None:
        """Follow for ever: again at once after a gap, after a backoff delay after an error."""
        backoff = broker_backoff()
        while True:
            await retry(self._follow, backoff, errors=BROKER_ERRORS, on_retry=self._lapsed)
            backoff.reset()  # a gap: ask again from the last message delivered

    async def _follow(self) -> None:
        """One consumer from the message after the last delivered, until it skips one."""
        client = self.broker.client
        await client.wait_connected()
        inbox = client.nc.new_inbox()
        subscription = await client.nc.subscribe(inbox)
        consumer: str | None = None
        try:
            consumer = await self._consumer(inbox)
            await self._deliver(subscription)
        finally:
            await self._release(subscription, consumer)

    def _lapsed(self, exc: BaseException, delay: float) -> None:
        if isinstance(exc, BrokerUnavailable):
            log.info("%s: %s", self.topic, exc.message)
            return
        self.restarts[type(exc).__name__] += 1
        log.info("%s: following the stream again after %s", self.topic, exc or "a pause")

    async def _consumer(self, inbox: str) -> str:
        js = self.broker.client.js
        try:
            info = await js.stream_info(self.stream)
        except NotFoundError:
            # The server lost its streams (storage wiped): declare them again.
            await self.broker.ensure_streams()
            info = await js.stream_info(self.stream)
        created = info.created.isoformat() if info.created else ""
        last_seq = int(info.state.last_seq or 0)
        if self.last is None:
            self.last = last_seq  # a new follower starts with what comes next
        elif created != self.created or last_seq < self.last:
            self._missed(0)  # the stream was recreated: what it held is gone
            self.last = int(info.state.first_seq or 1) - 1
        self.created = created
        heartbeat = self.broker.options.heartbeat
        config = ConsumerConfig(
            deliver_subject=inbox,
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.last + 1,
            idle_heartbeat=heartbeat,
            inactive_threshold=max(10.0, heartbeat * 10),
            mem_storage=True,
        )
        return str((await js.add_consumer(self.stream, config)).name)

    async def _deliver(self, subscription: NatsSubscription) -> None:
        """Hand messages over until the stream goes quiet for three heartbeats or skips."""
        verifying = True  # the first message after (re)starting must come right after last
        timeout = self.broker.options.heartbeat * 3
        incoming = subscription.messages
        while True:
            # Not ``next_msg(timeout=...)``: on Python 3.11 its ``asyncio.wait_for``
            # swallows a cancellation that arrives with a message (heartbeats arrive
            # together on every consumer), and the broker could never stop.
            try:
                async with asyncio.timeout(timeout):
                    msg = await anext(incoming)
            except StopAsyncIteration:
                raise BrokerUnavailable(f"{self.topic}: the subscription was closed") from None
            if msg.headers and "Status" in msg.headers:
                continue  # heartbeat
            seq = int(msg.metadata.sequence.stream)
            assert self.last is not None
            if seq <= self.last:
                continue
            if seq > self.last + 1:
                if not verifying:
                    # Possibly dropped on our side: ask for it again once.
                    self.restarts["gap"] += 1
                    return
                self._missed(seq - self.last - 1)
            verifying = False
            self.last = seq
            fence = int((msg.headers or {}).get(FENCE, "0") or 0)
            if fence < self.fence:
                # A former store writer's events arriving after its successor's: their
                # changes are committed, but delivering them now would reorder what
                # subscribers see. Drop them and have subscribers refetch instead.
                self.stale += 1
                self._missed(0)
                continue
            self.fence = max(self.fence, fence)
            try:
                messages = [decode(entry) for entry in unframe(msg.data)]
            except (BadInput, ValueError, zlib.error) as exc:
                log.warning("%s: skipping message %d: %s", self.topic, seq, exc)
                continue
            for message in messages:
                self.delivered += 1
                self.broker.local.publish_nowait(self.topic, message)

    def _missed(self, count: int) -> None:
        self.lost += count
        log.warning(
            "%s: %s events are no longer in the stream; subscribers are told to refetch",
            self.topic,
            count or "some",
        )
        self.broker.local.publish_nowait(self.topic, Missed(topic=self.topic, dropped=count))

    async def _release(self, subscription: NatsSubscription, consumer: str | None) -> None:
        client = self.broker.client
        if not client.connected:
            return
        try:
            async with asyncio.timeout(1.0):
                await subscription.unsubscribe()
                if consumer is not None:
                    await client.js.delete_consumer(self.stream, consumer)
        except BROKER_ERRORS:
            pass  # an ephemeral consumer goes by itself once inactive
