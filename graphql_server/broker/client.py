"""One process's connection to NATS and its JetStream context.

Owns connecting (retrying until the server answers, within a deadline), staying
connected (reconnecting forever, however long the server is away), knowing whether
the connection is up right now, and creating or updating the streams the other
broker modules declare. nats-py's exceptions are translated into
``BrokerUnavailable`` here and in the modules that use this one; nothing outside
``graphql_server.broker`` imports ``nats``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from urllib.parse import urlsplit, urlunsplit

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import APIError, NotFoundError

from graphql_server.errors import BrokerUnavailable
from graphql_server.retrying import Backoff, Jitter, retry

log = logging.getLogger(__name__)

# JetStream's "stream name already in use with a different configuration".
STREAM_CONFIG_CHANGED = 10058
NATS_ERRORS: tuple[type[Exception], ...] = (nats.errors.Error, TimeoutError, OSError)
# The same, and our own translation of them.
BROKER_ERRORS: tuple[type[Exception], ...] = (*NATS_ERRORS, BrokerUnavailable)


def broker_backoff() -> Backoff:
    """Waits between attempts on a NATS server that is away: 0.2 s doubling to 2 s."""
    return Backoff(0.2, 2.0, Jitter.NONE)


def redacted(url: str) -> str:
    """A NATS URL (or comma-separated list) without its credentials."""
    shown = []
    for part in url.split(","):
        pieces = urlsplit(part.strip())
        host = pieces.hostname or ""
        if pieces.port:
            host = f"{host}:{pieces.port}"
        shown.append(urlunsplit(pieces._replace(netloc=host)))
    return ",".join(shown)


class NatsClient:
    """A NATS connection that reconnects forever once established."""

    def __init__(self, url: str, *, name: str, reconnect_wait: float = 0.5) -> None:
        self.url = url
        self.name = name
        self.reconnect_wait = reconnect_wait
        self._nc: Client | None = None
        self._up = asyncio.Event()

    @property
    def nc(self) -> Client:
        if self._nc is None:
            raise BrokerUnavailable("not connected to NATS")
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        return self.nc.jetstream(timeout=5.0)

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def max_payload(self) -> int:
        return int(self.nc.max_payload) if self.connected else 1024 * 1024

    async def wait_connected(self) -> None:
        await self._up.wait()

    async def connect(self, wait: float = 30.0) -> None:
        """Connect, retrying for up to ``wait`` seconds; ``BrokerUnavailable`` after that."""
        servers = [part.strip() for part in self.url.split(",") if part.strip()]
        try:
            # The client itself tries its servers forever (it reconnects forever once
            # connected, by the same option): the deadline bounds the whole attempt.
            async with asyncio.timeout(wait):
                self._nc = await retry(
                    partial(
                        nats.connect,
                        servers=servers,
                        name=self.name,
                        allow_reconnect=True,
                        max_reconnect_attempts=-1,
                        reconnect_time_wait=self.reconnect_wait,
                        connect_timeout=2,
                        ping_interval=5,
                        max_outstanding_pings=2,
                        pending_size=8 * 1024 * 1024,
                        error_cb=self._error,
                        disconnected_cb=self._disconnected,
                        reconnected_cb=self._reconnected,
                        closed_cb=self._closed,
                    ),
                    broker_backoff(),
                    errors=NATS_ERRORS,
                    deadline=time.monotonic() + wait,
                    on_retry=lambda exc, _: log.warning(
                        "NATS at %s unreachable (%s); retrying", redacted(self.url), exc
                    ),
                )
        except NATS_ERRORS as exc:
            why = str(exc) or f"no answer within {wait:g} s"
            raise BrokerUnavailable(
                f"cannot connect to NATS at {redacted(self.url)}: {why}"
            ) from exc
        self._up.set()
        log.info("connected to NATS at %s", redacted(self.url))

    async def close(self) -> None:
        nc, self._nc = self._nc, None
        self._up.clear()
        if nc is not None and not nc.is_closed:
            try:
                await asyncio.wait_for(nc.close(), 5)
            except NATS_ERRORS as exc:
                log.debug("closing the NATS connection: %s", exc)

    async def ensure_stream(self, config: StreamConfig) -> None:
        """Create the stream, or bring an existing one to ``config``."""
        js = self.js
        try:
            await js.add_stream(config)
        except APIError as exc:
            if exc.err_code != STREAM_CONFIG_CHANGED:
                raise BrokerUnavailable(f"cannot create stream {config.name}: {exc}") from exc
            await js.update_stream(config)

    async def stream_created(self, stream: str) -> str:
        """When ``stream`` was created (it changes when the stream is recreated)."""
        try:
            info = await self.js.stream_info(stream)
        except NotFoundError as exc:
            raise BrokerUnavailable(f"stream {stream} does not exist") from exc
        return info.created.isoformat() if info.created else ""

    async def _error(self, exc: Exception) -> None:
        log.debug("NATS: %s", exc)

    async def _disconnected(self) -> None:
        self._up.clear()
        log.warning("disconnected from NATS; reconnecting")

    async def _reconnected(self) -> None:
        self._up.set()
        log.info("reconnected to NATS")

    async def _closed(self) -> None:
        self._up.clear()
