"""Raw access to one cluster's API over kubernetes_asyncio's authenticated HTTP client.

Objects stay raw: responses are read as bytes and parsed with orjson, never
through the generated model classes (far too slow for the watch path). Library
and transport errors are translated into ``KubernetesError`` here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
from aiohttp.http_exceptions import HttpProcessingError
from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.client.exceptions import ApiException

from graphql_server.errors import KubernetesError, ResourceExpired, ResourceVersionTooLarge

Params = Sequence[tuple[str, str]]
MAX_LINE = 64 * 1024 * 1024
TOO_LARGE = "too large resource version"  # how the apiserver words it


def _error(status: int, body: bytes, reason: str = "") -> KubernetesError:
    message = reason or f"HTTP {status}"
    status_reason = ""
    try:
        decoded = orjson.loads(body)
        if isinstance(decoded, dict):
            message = str(decoded.get("message") or message)
            status_reason = str(decoded.get("reason") or "")
    except orjson.JSONDecodeError:
        pass
    return status_error(status, message, status_reason)


def status_error(status: int, message: str, reason: str = "") -> KubernetesError:
    """The error a Status answer (an HTTP error, or a watch's ERROR event) stands for."""
    if status == 410:
        return ResourceExpired(message, status=status, reason=reason or "Expired")
    if message.lower().startswith(TOO_LARGE):
        return ResourceVersionTooLarge(message, status=status, reason=reason)
    return KubernetesError(message, status=status, reason=reason)


class KubeClient:
    """One authenticated connection to one cluster."""

    def __init__(self, configuration: Configuration, *, request_timeout: float = 60) -> None:
        self.configuration = configuration
        self.request_timeout = request_timeout
        self._api = ApiClient(configuration)

    @property
    def server(self) -> str:
        return str(self.configuration.host)

    async def close(self) -> None:
        await self._api.close()

    async def _request(
        self, method: str, path: str, params: Params, limits: aiohttp.ClientTimeout
    ) -> aiohttp.ClientResponse:
        try:
            response: aiohttp.ClientResponse = await self._api.call_api(
                path,
                method,
                query_params=list(params),
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=limits,
            )
        except ApiException as exc:
            raise _error(int(exc.status or 0), b"", str(exc.reason or exc)) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise KubernetesError(f"cannot reach {self.server}: {_describe(exc)}") from exc
        if response.status >= 400:
            try:
                body = await response.read()
            except (aiohttp.ClientError, TimeoutError):
                body = b""
            finally:
                response.release()
            raise _error(response.status, body, response.reason or "")
        return response

    async def get(self, path: str, params: Params = ()) -> Any:
        """GET a JSON document."""
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        response = await self._request("GET", path, params, timeout)
        try:
            body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KubernetesError(f"reading {path} failed: {_describe(exc)}") from exc
        finally:
            response.release()
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise KubernetesError(f"{path} did not answer with JSON") from exc

    @property
    def sends_authorization(self) -> bool:
        """Whether requests carry an ``Authorization`` header of this client's own."""
        configuration = self.configuration
        return bool(configuration.api_key.get("BearerToken") or configuration.refresh_api_key_hook)

    async def get_raw(
        self, path: str, params: Params = (), headers: Mapping[str, str] | None = None
    ) -> tuple[int, bytes]:
        """GET ``path`` and return the status and body whatever the status (for the
        service proxy, whose answers are the service's, not the apiserver's)."""
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        try:
            response: aiohttp.ClientResponse = await self._api.call_api(
                path,
                "GET",
                query_params=list(params),
                header_params={"Accept": "application/json", **dict(headers or {})},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout,
            )
            try:
                return response.status, await response.read()
            finally:
                response.release()
        except ApiException as exc:
            raise _error(int(exc.status or 0), b"", str(exc.reason or exc)) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise KubernetesError(f"cannot reach {self.server}: {_describe(exc)}") from exc

    @asynccontextmanager
    async def stream(
        self, path: str, params: Params, *, idle_timeout: float
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """Open a streaming GET; yields an iterator of its lines.

        A line that takes longer than ``idle_timeout`` to arrive raises
        ``TimeoutError``: a hung connection can never hang the caller.
        """
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.request_timeout)
        response = await self._request("GET", path, params, timeout)

        async def lines() -> AsyncIterator[bytes]:
            content = response.content
            while True:
                try:
                    async with asyncio.timeout(idle_timeout):
                        line = await content.readline(max_line_length=MAX_LINE)
                except (ValueError, HttpProcessingError) as exc:
                    raise KubernetesError(f"watch line too long on {path}") from exc
                except aiohttp.ClientError as exc:
                    raise KubernetesError(f"watch on {path} broke: {_describe(exc)}") from exc
                if not line:
                    return
                yield line

        try:
            yield lines()
        finally:
            response.close()


def _describe(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]


def query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters as strings, dropping unset ones."""
    result: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            result.append((key, "true" if value else "false"))
        else:
            result.append((key, str(value)))
    return result
