"""HTTP plumbing for connectivity probes: URL checks, TLS contexts and one JSON GET.

This module owns translating aiohttp and TLS failures into :class:`ProbeFailure`, whose
message is safe to show (it names the host and the kind of failure, never a header or
credential). It must not know about connection kinds or build results.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson

from graphql_server.errors import BadInput

__all__ = ["ProbeFailure", "Reply", "build_ssl_context", "fetch_json", "normalize_url"]

MAX_BODY_BYTES = 8 * 1024 * 1024


class ProbeFailure(Exception):
    """A probe step failed; ``reason`` is a stable machine code, ``message`` is safe to show."""

    def __init__(self, reason: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.details = details


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    is_json: bool


_HOST_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def _is_host(host: str) -> bool:
    """An IP address or a DNS name (labels of letters, digits, '-' and '_')."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        name = host.removesuffix(".")
        return 0 < len(name) <= 253 and all(_HOST_LABEL.fullmatch(p) for p in name.split("."))
    return True


def normalize_url(url: str, *, default_protocol: str) -> str:
    """Validate a base URL (adding ``default_protocol://`` when no scheme is given):
    http or https, a host name or IP address, a port from 1 to 65535 if any."""
    text = url.strip()
    if not text:
        raise BadInput("the connection URL is empty", field="url")
    if any(c.isspace() for c in text):
        raise BadInput("the connection URL must not contain spaces", field="url")
    if "://" not in text:
        text = f"{default_protocol}://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise BadInput(
            "the connection URL is malformed (its port must be a number from 1 to 65535)",
            field="url",
        ) from None
    if parts.scheme not in {"http", "https"}:
        raise BadInput("the connection URL must use http or https", field="url")
    if not parts.hostname:
        raise BadInput("the connection URL has no host", field="url")
    if not _is_host(parts.hostname):
        raise BadInput(
            f"the connection URL's host {parts.hostname!r} is not a host name or IP address",
            field="url",
        )
    if port == 0:
        raise BadInput("the connection URL's port must be from 1 to 65535", field="url")
    if parts.username is not None or parts.password is not None:
        raise BadInput(
            "the connection URL must not carry a user or password; use a credential", field="url"
        )
    if parts.query or parts.fragment:
        raise BadInput("the connection URL must not have a query or fragment", field="url")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def build_ssl_context(
    *,
    ca_pem: str | None = None,
    insecure: bool = False,
    client_cert_pem: str | None = None,
    client_key_pem: str | None = None,
) -> ssl.SSLContext:
    """A client TLS context; blocking (it writes the client pair to a private temp dir)."""
    try:
        context = (
            ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
        )
    except ssl.SSLError:
        raise BadInput("the certificate authority data is not a valid PEM certificate") from None
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_cert_pem and client_key_pem:
        with tempfile.TemporaryDirectory(prefix="graphql-server-tls-") as folder:
            cert_path = os.path.join(folder, "client.crt")
            key_path = os.path.join(folder, "client.key")
            for path, content in ((cert_path, client_cert_pem), (key_path, client_key_pem)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(content)
            try:
                context.load_cert_chain(cert_path, key_path)
            except ssl.SSLError:
                raise BadInput("the client certificate and key are not a valid PEM pair") from None
    return context


def _where(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


async def _read_limited(response: aiohttp.ClientResponse, where: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProbeFailure(
                "unexpected_response", f"{where} sent a response larger than expected", host=where
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_json(
    session: aiohttp.ClientSession,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> Reply:
    """GET ``url`` without following redirects; the body is parsed as JSON when it is JSON."""
    where = _where(url)
    try:
        async with session.get(
            url,
            params=dict(params or {}),
            headers=dict(headers or {}),
            ssl=ssl_context if ssl_context is not None else True,
            server_hostname=server_hostname,
            allow_redirects=False,
        ) as response:
            status = response.status
            raw = await _read_limited(response, where)
    except aiohttp.ServerTimeoutError:
        raise ProbeFailure("timeout", f"no answer from {where} in time", host=where) from None
    except aiohttp.ClientConnectorCertificateError as exc:
        detail = getattr(exc.certificate_error, "verify_message", "") or "verification failed"
        raise ProbeFailure(
            "tls", f"the TLS certificate of {where} was not accepted: {detail}", host=where
        ) from None
    except aiohttp.ClientSSLError:
        raise ProbeFailure("tls", f"the TLS handshake with {where} failed", host=where) from None
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, socket.gaierror):
            raise ProbeFailure(
                "dns", f"the host of {where} could not be resolved", host=where
            ) from None
        why = exc.os_error.strerror or type(exc.os_error).__name__
        raise ProbeFailure("unreachable", f"cannot connect to {where}: {why}", host=where) from None
    except aiohttp.ClientError as exc:
        raise ProbeFailure(
            "transport", f"the connection to {where} failed ({type(exc).__name__})", host=where
        ) from None
    try:
        return Reply(status=status, body=orjson.loads(raw), is_json=True)
    except orjson.JSONDecodeError:
        return Reply(status=status, body=None, is_json=False)
