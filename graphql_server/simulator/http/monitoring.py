"""Built-in Prometheus and Grafana HTTP endpoints behind a simulated cluster's services.

Owns what the service proxy reaches when a Service is labelled
``app.kubernetes.io/name: prometheus`` or ``grafana`` (the seeded
``monitoring/metrics-store`` and ``monitoring/dashboards``): small handlers answering
what connectivity tests and metric reads need, in the products' own JSON shapes.

- Prometheus (no authentication, as Prometheus ships): ``/-/ready``,
  ``/api/v1/status/buildinfo``, ``/api/v1/label/__name__/values`` (with ``match[]``
  selectors on ``__name__``) and ``/api/v1/query`` (GET or form POST; an instant
  query of a bare metric name over a few synthetic series).
- Grafana: ``/api/health`` (open), ``/api/org`` and ``/api/search`` (HTTP basic auth
  :data:`GRAFANA_USER` / :data:`GRAFANA_PASSWORD`, else 401).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web
from multidict import MultiMapping

PROMETHEUS_VERSION = "2.53.0"
GRAFANA_VERSION = "11.1.0"
GRAFANA_USER = "admin"
GRAFANA_PASSWORD = "demo-grafana"  # documented in the README's Simulated cluster section

NAME_LABEL = "app.kubernetes.io/name"


@dataclass(frozen=True, slots=True)
class ProxiedRequest:
    """A request as the service proxy hands it to the endpoint behind a service."""

    method: str
    path: str
    query: MultiMapping[str]
    headers: Mapping[str, str]
    body: bytes
    content_type: str


Endpoint = Callable[[ProxiedRequest], web.Response]


def _json(doc: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(doc), status=status, content_type="application/json")


# -- Prometheus --------------------------------------------------------------------------

# name -> series (labels, value); values are fixed so tests can read them back
SERIES: dict[str, list[tuple[dict[str, str], float]]] = {
    "up": [
        ({"job": "prometheus", "instance": "localhost:9090"}, 1.0),
        ({"job": "kubernetes-apiservers", "instance": "10.96.0.1:443"}, 1.0),
    ],
    "process_cpu_seconds_total": [({"job": "prometheus", "instance": "localhost:9090"}, 42.5)],
    "process_resident_memory_bytes": [
        ({"job": "prometheus", "instance": "localhost:9090"}, 187_654_144.0)
    ],
    "prometheus_http_requests_total": [
        ({"handler": "/api/v1/query", "code": "200", "job": "prometheus"}, 1234.0)
    ],
    "kube_pod_status_ready": [({"namespace": "monitoring", "condition": "true"}, 2.0)],
}

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_NAME_MATCHER = re.compile(r'\{\s*__name__\s*(=~|=)\s*"((?:[^"\\]|\\.)*)"\s*\}')


def _prometheus_error(status: int, kind: str, message: str) -> web.Response:
    return _json({"status": "error", "errorType": kind, "error": message}, status)


def _selected(selector: str) -> set[str] | None:
    """Metric names a ``match[]`` selector picks; None when it is not understood."""
    if _METRIC_NAME.fullmatch(selector):
        return {selector} & SERIES.keys()
    matched = _NAME_MATCHER.fullmatch(selector.strip())
    if matched is None:
        return None
    operator, value = matched.groups()
    if operator == "=":
        return {value} & SERIES.keys()
    try:
        pattern = re.compile(value.replace('\\"', '"'))
    except re.error:
        return None
    return {name for name in SERIES if pattern.fullmatch(name)}


def _params(request: ProxiedRequest) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query.items():
        params.setdefault(key, []).append(value)
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        for key, value in parse_qsl(request.body.decode("utf-8", "replace")):
            params.setdefault(key, []).append(value)
    return params


def prometheus(request: ProxiedRequest) -> web.Response:
    path = request.path
    if path == "/-/ready":
        return web.Response(text="Prometheus Server is Ready.\n", content_type="text/plain")
    if path == "/api/v1/status/buildinfo":
        data = {
            "version": PROMETHEUS_VERSION,
            "revision": "simulated",
            "branch": "HEAD",
            "buildUser": "simulator",
            "goVersion": "go1.22.4",
        }
        return _json({"status": "success", "data": data})
    if path == "/api/v1/label/__name__/values":
        names: set[str] = set()
        selectors = _params(request).get("match[]", [])
        for selector in selectors:
            picked = _selected(selector)
            if picked is None:
                message = f"invalid parameter 'match[]': {selector}"
                return _prometheus_error(400, "bad_data", message)
            names |= picked
        return _json({"status": "success", "data": sorted(names if selectors else SERIES)})
    if path == "/api/v1/query":
        if request.method not in ("GET", "POST"):
            return _prometheus_error(405, "bad_data", "method not allowed")
        query = (_params(request).get("query") or [""])[-1].strip()
        if not _METRIC_NAME.fullmatch(query):
            return _prometheus_error(
                400, "bad_data", f"invalid parameter 'query': cannot evaluate {query!r}"
            )
        now = round(time.time(), 3)
        result: list[dict[str, Any]] = [
            {"metric": {"__name__": query} | labels, "value": [now, repr(value)]}
            for labels, value in SERIES.get(query, [])
        ]
        return _json({"status": "success", "data": {"resultType": "vector", "result": result}})
    return web.Response(status=404, text="404 page not found\n", content_type="text/plain")


# -- Grafana -----------------------------------------------------------------------------

DASHBOARDS = [
    {"uid": "k8s-cluster", "title": "Kubernetes / Cluster", "tags": ["kubernetes"]},
    {"uid": "prometheus-stats", "title": "Prometheus / Overview", "tags": ["prometheus"]},
]


def _basic_ok(headers: Mapping[str, str]) -> bool:
    scheme, _, encoded = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user == GRAFANA_USER and password == GRAFANA_PASSWORD


def grafana(request: ProxiedRequest) -> web.Response:
    path = request.path
    if path == "/api/health":
        return _json({"commit": "simulated", "database": "ok", "version": GRAFANA_VERSION})
    if path not in ("/api/org", "/api/search"):
        return _json({"message": "Not found"}, 404)
    if not _basic_ok(request.headers):
        return _json({"message": "Unauthorized"}, 401)
    if path == "/api/org":
        return _json({"id": 1, "name": "Main Org.", "address": {}})
    wanted = (request.query.get("query") or "").lower()
    hits = [
        {"id": index + 1, "type": "dash-db", "uri": f"db/{d['uid']}", "url": f"/d/{d['uid']}", **d}
        for index, d in enumerate(DASHBOARDS)
        if wanted in str(d["title"]).lower()
    ]
    return _json(hits)


ENDPOINTS: dict[str, Endpoint] = {"prometheus": prometheus, "grafana": grafana}


def endpoint_for(service: Mapping[str, Any]) -> Endpoint | None:
    """The built-in endpoint behind a Service object, by its ``app.kubernetes.io/name``."""
    labels = (service.get("metadata") or {}).get("labels") or {}
    return ENDPOINTS.get(str(labels.get(NAME_LABEL, "")))
