"""The private ``/_sim`` HTTP routes that drive a simulator from another process.

Owns the wire form of the fault hooks, churn and seeding: ``GET /_sim/state`` and
``POST``/``DELETE`` under ``/_sim/faults/...``, ``/_sim/churn``, ``/_sim/seed`` and
``POST /_sim/services/{namespace}/{name}`` (``{"down": true|false}``: the built-in
endpoint behind that Service fails with 503, or answers again). Each
handler calls the matching :class:`~graphql_server.simulator.http.model.ClusterModel`
method and answers JSON; bad input is a 400 Status. The same bearer token as the API
applies.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.routes import ApiRoutes
from graphql_server.simulator.http.wire import error_response, json_response
from graphql_server.simulator.status import ApiError, bad_request, unauthorized

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Action = Callable[[dict[str, Any], web.Request], Awaitable[Any]]


async def _options(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    options: dict[str, Any] = dict(request.query)
    if raw.strip():
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise bad_request(f"invalid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        options.update(body)
    return options


def _number(options: dict[str, Any], name: str, default: float | None = None) -> float | None:
    value = options.get(name, default)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be a number") from None


def _resource(options: dict[str, Any]) -> str:
    resource = options.get("resource")
    if not isinstance(resource, str) or not resource:
        raise bad_request("resource (plural.group, or *) is required")
    return resource


def add_routes(app: web.Application, cluster: ClusterModel, api: ApiRoutes) -> None:
    def route(action: Action) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                if not api.authorised(request):
                    raise unauthorized()
                result = await action(await _options(request), request)
            except ApiError as error:
                return error_response(error)
            return json_response(orjson.dumps(result))

        return handler

    async def state(options: dict[str, Any], request: web.Request) -> Any:
        return cluster.summary()

    async def compact(options: dict[str, Any], request: web.Request) -> Any:
        return {"floor": cluster.compact_history()}

    async def expire(options: dict[str, Any], request: web.Request) -> Any:
        return {"expired": cluster.expire_watches()}

    async def drop(options: dict[str, Any], request: web.Request) -> Any:
        return {"dropped": cluster.drop_watches()}

    async def stall(options: dict[str, Any], request: web.Request) -> Any:
        cluster.stall_watches()
        return {"stalled": True}

    async def unstall(options: dict[str, Any], request: web.Request) -> Any:
        cluster.unstall_watches()
        return {"stalled": False}

    async def inject(options: dict[str, Any], request: web.Request) -> Any:
        status = int(_number(options, "status", 500) or 500)
        count = _number(options, "count")
        retry_after = _number(options, "retryAfter")
        cluster.inject_error(
            _resource(options),
            status,
            None if count is None else int(count),
            None if retry_after is None else int(retry_after),
        )
        return cluster.faults.summary()

    async def clear_errors(options: dict[str, Any], request: web.Request) -> Any:
        cluster.clear_errors(options.get("resource") or None)
        return cluster.faults.summary()

    async def latency(options: dict[str, Any], request: web.Request) -> Any:
        cluster.set_latency(
            _number(options, "seconds", 0.0) or 0.0, str(options.get("resource") or "*")
        )
        return cluster.faults.summary()

    async def forbid(options: dict[str, Any], request: web.Request) -> Any:
        cluster.forbid(_resource(options))
        return cluster.faults.summary()

    async def allow(options: dict[str, Any], request: web.Request) -> Any:
        cluster.allow(_resource(options))
        return cluster.faults.summary()

    async def clear(options: dict[str, Any], request: web.Request) -> Any:
        cluster.clear_faults()
        return cluster.faults.summary()

    async def churn_start(options: dict[str, Any], request: web.Request) -> Any:
        seed = _number(options, "seed")
        churn = await cluster.start_churn(
            _number(options, "rate", 10.0) or 0.0, None if seed is None else int(seed)
        )
        return {"rate": churn.rate, "running": churn.running}

    async def churn_stop(options: dict[str, Any], request: web.Request) -> Any:
        await cluster.stop_churn()
        return {"running": False}

    async def burst(options: dict[str, Any], request: web.Request) -> Any:
        events = int(_number(options, "events", 1000) or 0)
        seed = int(_number(options, "seed", cluster.seed) or 0)
        started = time.perf_counter()
        applied = await cluster.churn_burst(max(0, events), seed)
        return {
            "applied": applied,
            "seconds": time.perf_counter() - started,
            "resourceVersion": cluster.rv,
        }

    async def seed(options: dict[str, Any], request: web.Request) -> Any:
        number = _number(options, "seed")
        objects = int(_number(options, "objects", 1000) or 0)
        return cluster.seed_objects(objects, None if number is None else int(number))

    table: list[tuple[str, str, Action]] = [
        ("GET", "/_sim/state", state),
        ("POST", "/_sim/faults/compact", compact),
        ("POST", "/_sim/faults/expire-watches", expire),
        ("POST", "/_sim/faults/drop-watches", drop),
        ("POST", "/_sim/faults/stall-watches", stall),
        ("POST", "/_sim/faults/unstall-watches", unstall),
        ("POST", "/_sim/faults/errors", inject),
        ("DELETE", "/_sim/faults/errors", clear_errors),
        ("POST", "/_sim/faults/latency", latency),
        ("POST", "/_sim/faults/forbid", forbid),
        ("DELETE", "/_sim/faults/forbid", allow),
        ("POST", "/_sim/faults/clear", clear),
        ("POST", "/_sim/churn", churn_start),
        ("DELETE", "/_sim/churn", churn_stop),
        ("POST", "/_sim/churn/burst", burst),
        ("POST", "/_sim/seed", seed),
    ]
    for method, path, action in table:
        app.router.add_route(method, path, route(action))

    async def service(options: dict[str, Any], request: web.Request) -> Any:
        namespace, name = request.match_info["namespace"], request.match_info["name"]
        down = options.get("down")
        if not isinstance(down, bool):
            raise bad_request("down (true or false) is required")
        cluster.get(cluster.resolve("", "v1", "services"), namespace, name)  # 404 if missing
        cluster.faults.set_service_down(namespace, name, down)
        return {"namespace": namespace, "name": name, "down": down}

    app.router.add_route("POST", "/_sim/services/{namespace}/{name}", route(service))
