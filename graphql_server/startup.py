"""Starting ``serve`` in an order that changes nothing until the server knows it can run.

1. the settings: exposure without a token, the kubeconfig and its contexts, the key;
2. the database: reachable, existing, writable (nothing created or migrated yet);
   NATS, when ``--nats-url`` is given, answering;
3. the data directory: locked for this process (a second server refuses at once);
4. the port: bound and listening (the socket is handed to uvicorn);
5. only then the application's lifespan: migrations, the demo simulator, the files
   it writes (server id, key file, demo kubeconfig), the sync.

Each refusal is a :class:`ConfigurationError` the command line prints as one line.
The application's lifespan is entered here rather than by uvicorn, so that a failure
in it is an exception of this function, not a traceback logged by uvicorn.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
from collections.abc import Callable, Iterator

import uvicorn

from graphql_server import collector
from graphql_server.api.auth import check_exposure
from graphql_server.app import create_app
from graphql_server.components import (
    check_broker,
    cluster_sources,
    serve_broker,
    serve_components,
)
from graphql_server.datadir import DataDirLock, check_data_dir
from graphql_server.errors import ConfigurationError
from graphql_server.running import run
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.identity import finish_rotation, secrets_for
from graphql_server.store.preflight import check_database
from graphql_server.tasks import TaskRestarts
from graphql_server.websocket_protocol import CoalescingWebSocketProtocol

log = logging.getLogger("graphql_server")

GRACEFUL_SHUTDOWN = 5
"""Seconds open requests and websockets get once the server is asked to stop."""


class _Server(uvicorn.Server):
    """uvicorn, leaving signals to :func:`running.run` and announcing when it listens."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()


def serve(settings: Settings) -> int:
    """Run the server until SIGINT or SIGTERM; a signal during start-up interrupts it."""
    running: list[_Server] = []

    def stop_gracefully() -> bool:
        if running and running[0].started:
            running[0].should_exit = True
            return True
        return False  # still starting: cancel the start-up

    collector.tune()
    run(lambda: _serve(settings, running), on_signal=stop_gracefully)
    return 0


async def check_settings(settings: Settings) -> None:
    """Steps 1 and 2: everything that can be refused before anything is written."""
    check_exposure(settings)
    cluster_sources(settings)
    if settings.secret_key:
        secrets_for(settings)
    check_data_dir(settings.effective_data_dir())
    await check_database(settings.effective_database_url())
    await check_broker(settings)


async def _serve(settings: Settings, running: list[_Server]) -> None:
    await check_settings(settings)
    with DataDirLock(settings.effective_data_dir()), bound(settings.host, settings.port) as socks:
        port = int(socks[0].getsockname()[1])
        url = f"http://{display_host(settings.host)}:{port}/graphql"
        restarts = TaskRestarts()  # the app's and its broker's kept tasks
        broker = serve_broker(settings, restarts)
        app = create_app(
            settings,
            broker=broker,
            components=serve_components(settings, broker),
            restarts=restarts,
        )
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            ws=CoalescingWebSocketProtocol,
            ws_max_size=settings.max_request_bytes,
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        )
        server = _Server(
            config,
            on_started=lambda: log.info("serving GraphQL at %s (open it in a browser)", url),
        )
        await finish_interrupted_rotation(settings)
        async with app.router.lifespan_context(app):
            running.append(server)
            await server.serve(sockets=socks)


async def finish_interrupted_rotation(settings: Settings) -> None:
    """Migrate, and complete a key rotation a crash interrupted, before the
    application opens the store with the key (``store.identity``)."""
    store = await Store.open(settings.effective_database_url(), migrate=True)
    try:
        await finish_rotation(settings, store.credentials)
    finally:
        await store.close()


@contextlib.contextmanager
def bound(host: str, port: int) -> Iterator[list[socket.socket]]:
    """Listening TCP sockets on every address of ``host`` (``localhost``: IPv4 and
    IPv6), or a one-line refusal saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigurationError(
            f"cannot listen on {host}: {exc.strerror}; pass another --host"
        ) from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            if sockets and port == 0:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(2048)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ConfigurationError(_bind_failure(host, port, exc)) from None
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _bind_failure(host: str, port: int, exc: OSError) -> str:
    where = f"{display_host(host)}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is already in use on {host}; stop what uses it or pass another --port"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where}; pass a port above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; pass another --host"
    return f"cannot listen on {where}: {exc.strerror}"


def display_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
