"""Injected failures: HTTP errors per resource, added latency, forbidden resources and
services whose built-in endpoint is down.

Owns the fault switches that are about requests (watch-stream faults live with the
watch hub): :class:`Faults` decides, for one request to one resource, whether it is
delayed, refused with a Status error, or served. Resources are named ``plural.group``
(``pods``, ``deployments.apps``); ``*`` matches every resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql_server.simulator.status import ApiError, forbidden

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@dataclass(slots=True)
class ErrorInjection:
    status: int
    remaining: int | None
    retry_after: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "remaining": self.remaining, "retryAfter": self.retry_after}


def _matches(pattern: str, key: str, plural: str) -> bool:
    return pattern in ("*", key, plural)


class Faults:
    """The request-level faults currently switched on."""

    def __init__(self) -> None:
        self.errors: dict[str, ErrorInjection] = {}
        self.latency: dict[str, float] = {}
        self.forbidden: set[str] = set()
        self.down_services: set[tuple[str, str]] = set()

    def inject_error(
        self, resource: str, status: int, count: int | None = None, retry_after: int | None = None
    ) -> None:
        if status == 429 and retry_after is None:
            retry_after = 1
        self.errors[resource] = ErrorInjection(status, count, retry_after)

    def clear_errors(self, resource: str | None = None) -> None:
        if resource is None:
            self.errors.clear()
        else:
            self.errors.pop(resource, None)

    def set_latency(self, seconds: float, resource: str = "*") -> None:
        if seconds <= 0:
            self.latency.pop(resource, None)
        else:
            self.latency[resource] = seconds

    def forbid(self, resource: str) -> None:
        self.forbidden.add(resource)

    def allow(self, resource: str) -> None:
        self.forbidden.discard(resource)

    def set_service_down(self, namespace: str, name: str, down: bool) -> None:
        """Make the built-in endpoint behind a service fail (or answer again)."""
        if down:
            self.down_services.add((namespace, name))
        else:
            self.down_services.discard((namespace, name))

    def service_down(self, namespace: str, name: str) -> bool:
        return (namespace, name) in self.down_services

    def clear(self) -> None:
        self.errors.clear()
        self.latency.clear()
        self.forbidden.clear()
        self.down_services.clear()

    def delay(self, key: str, plural: str) -> float:
        if not self.latency:
            return 0.0
        return max((s for p, s in self.latency.items() if _matches(p, key, plural)), default=0.0)

    def check(self, key: str, group: str, plural: str, verb: str, namespace: str) -> None:
        """Raise the injected error for this request, if any."""
        if self.forbidden and any(_matches(p, key, plural) for p in self.forbidden):
            raise forbidden(verb, group, plural, namespace)
        if not self.errors:
            return
        for pattern, injection in list(self.errors.items()):
            if not _matches(pattern, key, plural):
                continue
            if injection.remaining is not None:
                injection.remaining -= 1
                if injection.remaining <= 0:
                    del self.errors[pattern]
            raise injected_error(injection, verb, group, plural, namespace)

    def denies(self, key: str, plural: str) -> bool:
        """Whether requests to this resource are refused with 403 (forbidden or injected)."""
        if any(_matches(p, key, plural) for p in self.forbidden):
            return True
        return any(e.status == 403 and _matches(p, key, plural) for p, e in self.errors.items())

    def summary(self) -> dict[str, Any]:
        return {
            "errors": {k: v.to_dict() for k, v in self.errors.items()},
            "latency": dict(self.latency),
            "forbidden": sorted(self.forbidden),
            "servicesDown": [f"{ns}/{name}" for ns, name in sorted(self.down_services)],
        }


def injected_error(
    injection: ErrorInjection, verb: str, group: str, plural: str, namespace: str
) -> ApiError:
    status = injection.status
    if status == 403:
        return forbidden(verb, group, plural, namespace)
    reason = _REASONS.get(status, "InternalError")
    headers: dict[str, str] = {}
    details: dict[str, Any] | None = None
    if status == 429:
        message = "Too many requests, please try again later."
    elif status >= 500:
        message = f"Internal error occurred: injected fault for {plural}"
    else:
        message = f"injected {status} for {plural}"
    if injection.retry_after is not None:
        headers["Retry-After"] = str(injection.retry_after)
        details = {"retryAfterSeconds": injection.retry_after}
    return ApiError(status, reason, message, details, headers)
