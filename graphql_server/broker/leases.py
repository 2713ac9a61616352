"""Leases in the NATS key-value store: who watches a cluster, who writes the store.

Owns one KV bucket whose entries expire after the lease TTL (the bucket's max age).
A lease is taken with a create (it fails while someone holds the key) and kept by
updates that name the revision last written (compare-and-set), every third of the
TTL. A holder that dies stops renewing and its key expires: another contender's
create succeeds within one TTL. A holder that cannot reach NATS stops its work
once its own deadline passes (the TTL minus a margin, counted from the last renewal
it sent), before anyone else can have taken over.

Each acquisition has an ``epoch``: the bucket's creation time (seconds) shifted
left 32 bits, plus the KV revision of the create. Epochs grow with every new
holder, even if the bucket is recreated, so a consumer can ignore a former
holder's late messages (fencing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from graphql_server.broker.client import BROKER_ERRORS, NatsClient, broker_backoff
from graphql_server.errors import BrokerUnavailable
from graphql_server.retrying import retry
from graphql_server.tasks import TaskOwner

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Lease:
    name: str
    holder: str
    epoch: int
    revision: int
    valid_until: float  # time.monotonic() after which the holder must stop


class LeaseStore:
    def __init__(self, client: NatsClient, prefix: str, ttl: float = 10.0) -> None:
        self.client = client
        self.bucket = f"{prefix}_leases"
        self.ttl = ttl
        self._kv: KeyValue | None = None

    @property
    def margin(self) -> float:
        return min(1.0, self.ttl / 5)

    async def open(self) -> None:
        js = self.client.js
        try:
            self._kv = await js.key_value(self.bucket)
        except BucketNotFoundError:
            self._kv = await js.create_key_value(
                KeyValueConfig(
                    bucket=self.bucket, ttl=self.ttl, history=1, storage=StorageType.FILE
                )
            )
        info = await js.stream_info(f"KV_{self.bucket}")
        actual = float(info.config.max_age or 0)
        if actual and abs(actual - self.ttl) > 0.01:
            log.warning(
                "the lease bucket %s keeps leases for %.1fs, not %.1fs; using %.1fs",
                self.bucket,
                actual,
                self.ttl,
                actual,
            )
            self.ttl = actual

    @property
    def kv(self) -> KeyValue:
        if self._kv is None:
            raise BrokerUnavailable("the lease store is not open")
        return self._kv

    async def acquire(self, name: str, holder: str) -> Lease | None:
        """The lease, if nobody holds it now; None when someone does."""
        try:
            created = await self.client.stream_created(f"KV_{self.bucket}")
        except BrokerUnavailable:
            await self.open()  # the bucket is gone (storage wiped): declare it again
            created = await self.client.stream_created(f"KV_{self.bucket}")
        sent = time.monotonic()
        try:
            revision = await self.kv.create(name, self._value(holder))
        except KeyWrongLastSequenceError:
            return None
        generation = int(_seconds(created))
        return Lease(name, holder, (generation << 32) | revision, revision, self._deadline(sent))

    async def renew(self, lease: Lease) -> bool:
        """Keep ``lease``; False when it was lost (expired and taken, or deleted)."""
        sent = time.monotonic()
        try:
            lease.revision = await self.kv.update(
                lease.name, self._value(lease.holder), last=lease.revision
            )
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            return False
        lease.valid_until = self._deadline(sent)
        return True

    async def release(self, lease: Lease) -> None:
        """Give the lease up at once, so that another contender need not wait for expiry."""
        try:
            async with asyncio.timeout(2.0):
                await self.kv.delete(lease.name, last=lease.revision)
        except BROKER_ERRORS as exc:
            log.debug("releasing lease %s: %s", lease.name, exc)

    async def holder(self, name: str) -> str | None:
        try:
            entry = await self.kv.get(name)
        except KeyNotFoundError:
            return None
        return str(orjson.loads(entry.value or b"{}").get("holder") or "") or None

    def _deadline(self, sent: float) -> float:
        return sent + self.ttl - self.margin

    def _value(self, holder: str) -> bytes:
        return orjson.dumps({"holder": holder, "renewed": time.time()})


def _seconds(created: str) -> float:
    return datetime.fromisoformat(created).timestamp() if created else 0.0


Work = Callable[[Lease], Coroutine[Any, Any, None]]


class Holding:
    """Contends for one lease forever; runs ``work`` only while the lease is held.

    When the lease is lost, or cannot be renewed before its deadline, the work is
    cancelled at once and contention starts again. When the work ends, or the
    holding is cancelled, the lease is released; work that failed is started again
    once the lease is won again.
    """

    def __init__(self, leases: LeaseStore, name: str, holder: str) -> None:
        self.leases = leases
        self.name = name
        self.holder = holder
        self.lease: Lease | None = None
        self.acquisitions = 0
        self.losses = 0

    @property
    def held(self) -> bool:
        return self.lease is not None and time.monotonic() < self.lease.valid_until

    async def run(self, work: Work) -> None:
        tasks = TaskOwner(f"lease:{self.name}")
        lease: Lease | None = None
        try:
            while True:
                lease = await self._acquire()
                self.lease = lease
                self.acquisitions += 1
                log.info("holding lease %s (epoch %d)", self.name, lease.epoch)
                worker = tasks.spawn("work", work(lease))
                try:
                    ended = await self._keep(lease, worker)
                finally:
                    self.lease = None
                    await stop(worker)
                if not ended:
                    self.losses += 1
                    lease = None
                    continue
                await self.leases.release(lease)
                lease = None
                error = worker.exception()
                if error is None:
                    return
                log.error("lease %s: the work failed; contending again", self.name, exc_info=error)
                await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            if lease is not None:
                await self.leases.release(lease)  # let a standby take over at once
            raise
        finally:
            await tasks.close()

    async def _acquire(self) -> Lease:
        """The lease, once NATS answers and nobody else holds it."""
        backoff = broker_backoff()
        while True:
            lease = await retry(
                self._try_acquire,
                backoff,
                errors=BROKER_ERRORS,
                on_retry=lambda exc, _: log.debug("lease %s: %s; retrying", self.name, exc),
            )
            if lease is not None:
                return lease
            backoff.reset()
            await asyncio.sleep(self.leases.ttl / 4)  # held by another: look again

    async def _try_acquire(self) -> Lease | None:
        await self.leases.client.wait_connected()
        return await self.leases.acquire(self.name, self.holder)

    async def _keep(self, lease: Lease, worker: asyncio.Task[None]) -> bool:
        """Renew until the lease is lost or expires (False), or the work ends (True)."""
        interval = self.leases.ttl / 3
        while True:
            wait = max(0.01, min(interval, lease.valid_until - time.monotonic()))
            done, _ = await asyncio.wait({worker}, timeout=wait)
            if done:
                return True
            try:
                async with asyncio.timeout(max(0.1, interval)):
                    renewed: bool | None = await self.leases.renew(lease)
            except BROKER_ERRORS as exc:
                renewed = None
                log.info("lease %s: cannot renew (%s)", self.name, exc or type(exc).__name__)
            if renewed is False:
                log.warning("lease %s was lost (expired, or taken over); stopping", self.name)
                return False
            if renewed is None and time.monotonic() >= lease.valid_until:
                log.warning("lease %s expired while NATS was unreachable; stopping", self.name)
                return False


async def stop(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait for it to end, cancelling again if a cancellation was
    swallowed (``asyncio.wait_for`` in Python 3.11 can lose one that races a result)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
