"""Fixtures: real Prometheus processes, and small real Kubernetes and Grafana servers."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from .pki import Pki, make_pki
from .servers import (
    bearer_proxy_app,
    free_port,
    grafana_app,
    html_app,
    kubernetes_app,
    serve,
    slow_app,
)

PROM_USER = "prom-admin"
PROM_PASSWORD = "prom-secret-pw"
# bcrypt of PROM_PASSWORD (cost 4), as Prometheus's web config expects.
PROM_PASSWORD_HASH = "$2b$04$XTLL/adl8oWmWqWaohSE4.1RuLBZnusiRwn9pOl/zuiggloi6EVaa"
READY_SECONDS = 60.0


@dataclass(frozen=True)
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    auth_header: str | None


def _prometheus_binary() -> str:
    binary = shutil.which("prometheus")
    if binary is None:
        reason = "the prometheus binary is not installed (Debian package 'prometheus')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must install it", pytrace=False)
        pytest.skip(reason)
    return binary


def _get(url: str, auth: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return 0, b""


def _launch(binary: str, folder: Path, *, basic_auth: bool, port: int | None = None) -> Prometheus:
    port = port or free_port()
    scrape_auth = ""
    args = []
    auth_header = None
    if basic_auth:
        web_config = folder / "web.yml"
        web_config.write_text(f"basic_auth_users:\n  {PROM_USER}: '{PROM_PASSWORD_HASH}'\n")
        args.append(f"--web.config.file={web_config}")
        scrape_auth = (
            f"    basic_auth:\n      username: {PROM_USER}\n      password: {PROM_PASSWORD}\n"
        )
        token = base64.b64encode(f"{PROM_USER}:{PROM_PASSWORD}".encode()).decode()
        auth_header = f"Basic {token}"
    config = folder / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: prometheus\n"
        f"{scrape_auth}"
        f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
    )
    log = folder / "prometheus.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
                *args,
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Prometheus(f"http://127.0.0.1:{port}", process, log, auth_header)


def _scraped(prometheus: Prometheus) -> bool:
    if prometheus.process.poll() is not None:
        pytest.fail(f"prometheus exited early:\n{prometheus.log.read_text()}", pytrace=False)
    names_url = f"{prometheus.url}/api/v1/label/__name__/values"
    status, body = _get(names_url, prometheus.auth_header)
    return status == 200 and "prometheus_build_info" in orjson.loads(body)["data"]


def _stop(prometheus: Prometheus) -> None:
    prometheus.process.terminate()
    try:
        prometheus.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        prometheus.process.kill()
        prometheus.process.wait()


@pytest.fixture(scope="session")
def prometheus_pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Prometheus, Prometheus]]:
    """Two real Prometheus servers scraping themselves every second: open, and basic auth.

    Both start together since Prometheus only begins scraping about five seconds in.
    """
    binary = _prometheus_binary()
    pair = (
        _launch(binary, tmp_path_factory.mktemp("prometheus-open"), basic_auth=False),
        _launch(binary, tmp_path_factory.mktemp("prometheus-basic"), basic_auth=True),
    )
    try:
        deadline = time.monotonic() + READY_SECONDS
        waiting = list(pair)
        while waiting and time.monotonic() < deadline:
            waiting = [p for p in waiting if not _scraped(p)]
            time.sleep(0.2)
        if waiting:
            logs = "\n".join(p.log.read_text() for p in waiting)
            pytest.fail(f"prometheus did not scrape itself in time:\n{logs}", pytrace=False)
        yield pair
    finally:
        for prometheus in pair:
            _stop(prometheus)


@pytest.fixture(scope="session")
def prometheus(prometheus_pair: tuple[Prometheus, Prometheus]) -> Prometheus:
    """A real Prometheus without authentication."""
    return prometheus_pair[0]


@pytest.fixture(scope="session")
def prometheus_basic(prometheus_pair: tuple[Prometheus, Prometheus]) -> Prometheus:
    """A real Prometheus that requires basic authentication."""
    return prometheus_pair[1]


@pytest.fixture
async def prometheus_bearer(prometheus: Prometheus) -> AsyncIterator[str]:
    """The open Prometheus behind a proxy that requires a bearer token."""
    async with serve(bearer_proxy_app(prometheus.url)) as url:
        yield url


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def kube_app() -> web.Application:
    return kubernetes_app()


@pytest.fixture
async def kube_url(kube_app: web.Application) -> AsyncIterator[str]:
    async with serve(kube_app) as url:
        yield url


@pytest.fixture
def kube_tls_app() -> web.Application:
    return kubernetes_app()


@pytest.fixture
async def kube_tls_url(pki: Pki, kube_tls_app: web.Application) -> AsyncIterator[str]:
    """The Kubernetes fixture over TLS, accepting client certificates signed by the CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(cafile=pki.ca_file)
    context.verify_mode = ssl.CERT_OPTIONAL
    async with serve(kube_tls_app, ssl_context=context) as url:
        yield url


@pytest.fixture
async def grafana_url() -> AsyncIterator[str]:
    async with serve(grafana_app()) as url:
        yield url


@pytest.fixture
async def slow_url() -> AsyncIterator[str]:
    release = asyncio.Event()
    async with serve(slow_app(release)) as url:
        yield url
        release.set()


@pytest.fixture
async def html_url() -> AsyncIterator[str]:
    async with serve(html_app()) as url:
        yield url


@pytest.fixture
def closed_url() -> str:
    """A loopback URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
