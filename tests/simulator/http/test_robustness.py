"""Malformed requests get Status errors and never take the server down."""

from __future__ import annotations

import random
from typing import Any

import aiohttp
import pytest

from ..helpers import Sim

BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/api/v1/namespaces/default/configmaps", {"data": b"{not json"}, 400, "BadRequest"),
    ("POST", "/api/v1/namespaces/default/configmaps", {"data": b"[1, 2]"}, 422, "Invalid"),
    ("POST", "/api/v1/namespaces/default/configmaps", {"data": b'"text"'}, 422, "Invalid"),
    (
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"data": b'{"kind": "Secret", "metadata": {"name": "x"}}'},
        422,
        "Invalid",
    ),
    (
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"data": b'{"apiVersion": "apps/v1", "metadata": {"name": "x"}}'},
        422,
        "Invalid",
    ),
    (
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"data": b'{"metadata": {}}'},
        422,
        "Invalid",
    ),
    (
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"data": b'{"metadata": {"name": "UPPER"}}'},
        422,
        "Invalid",
    ),
    (
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"data": b'{"metadata": {"name": "x", "labels": {"a": 1}}}'},
        422,
        "Invalid",
    ),
    (
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"data": b'{"metadata": "nope"}'},
        422,
        "Invalid",
    ),
    (
        "POST",
        "/api/v1/namespaces/other/configmaps",
        {"data": b'{"metadata": {"name": "x", "namespace": "default"}}'},
        400,
        "BadRequest",
    ),
    ("GET", "/api/v1/pods?labelSelector=a%20in%20(b", {}, 400, "BadRequest"),
    ("GET", "/api/v1/pods?labelSelector=%3D%3Dx", {}, 400, "BadRequest"),
    ("GET", "/api/v1/pods?fieldSelector=spec.whatever%3Dx", {}, 400, "BadRequest"),
    ("GET", "/api/v1/pods?fieldSelector=nonsense", {}, 400, "BadRequest"),
    ("GET", "/api/v1/pods?limit=ten", {}, 400, "BadRequest"),
    ("GET", "/api/v1/pods?limit=5&continue=bm90LWEtdG9rZW4", {}, 400, "BadRequest"),
    ("GET", "/api/v1/pods?watch=true&resourceVersion=abc", {}, 400, "BadRequest"),
    ("GET", "/api/v1/nope", {}, 404, "NotFound"),
    ("GET", "/apis/nope.example.com/v1/things", {}, 404, "NotFound"),
    ("GET", "/apis/apps/v9", {}, 404, "NotFound"),
    ("GET", "/apis/nope.example.com", {}, 404, "NotFound"),
    ("GET", "/totally/unknown", {}, 404, "NotFound"),
    ("GET", "/api/v1/namespaces/default/pods/x/bogus", {}, 404, "NotFound"),
    ("GET", "/api/v1/namespaces/default/configmaps/x/status", {}, 404, "NotFound"),
    ("GET", "/api/v1/pods/loose-name", {}, 404, "NotFound"),
    ("GET", "/api/v1/namespaces/default/pods/a/b/c/d", {}, 404, "NotFound"),
    (
        "POST",
        "/api/v1/namespaces/default/configmaps/named",
        {"data": b"{}"},
        405,
        "MethodNotAllowed",
    ),
    ("PUT", "/api/v1/namespaces/default/configmaps", {"data": b"{}"}, 405, "MethodNotAllowed"),
    ("DELETE", "/apis", {}, 405, "MethodNotAllowed"),
    (
        "PATCH",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {"data": b"{}", "headers": {"Content-Type": "text/plain"}},
        415,
        "UnsupportedMediaType",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {"data": b"{oops", "headers": {"Content-Type": "application/merge-patch+json"}},
        400,
        "BadRequest",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {"data": b'{"op": "add"}', "headers": {"Content-Type": "application/json-patch+json"}},
        400,
        "BadRequest",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {
            "data": b'[{"op": "remove", "path": "/nope/deeper"}]',
            "headers": {"Content-Type": "application/json-patch+json"},
        },
        422,
        "Invalid",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {
            "data": b'[{"op": "jump", "path": "/a"}]',
            "headers": {"Content-Type": "application/json-patch+json"},
        },
        400,
        "BadRequest",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {
            "data": b'{"metadata": {"name": "renamed"}}',
            "headers": {"Content-Type": "application/merge-patch+json"},
        },
        400,
        "BadRequest",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {"data": b"[1]", "headers": {"Content-Type": "application/merge-patch+json"}},
        400,
        "BadRequest",
    ),
    (
        "DELETE",
        "/api/v1/namespaces/default/serviceaccounts/default",
        {"data": b"[oops"},
        400,
        "BadRequest",
    ),
    (
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        {"data": b'{"metadata": {"name": "bad.example.com"}, "spec": {"group": "example.com"}}'},
        422,
        "Invalid",
    ),
]


@pytest.mark.parametrize(("method", "path", "options", "code", "reason"), BAD_REQUESTS)
async def test_bad_requests_get_status_errors(
    sim: Sim, method: str, path: str, options: dict[str, Any], code: int, reason: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, sim.running.url + path, **options) as response,
    ):
        body = await response.json(content_type=None)
        assert response.status == code, body
        assert body["kind"] == "Status"
        assert body["status"] == "Failure"
        assert body["code"] == code
        assert body["reason"] == reason
        assert body["message"]


async def test_huge_and_garbage_paths(sim: Sim) -> None:
    async with aiohttp.ClientSession() as session:
        huge = "/api/v1/namespaces/" + "x" * 100_000 + "/pods/y"
        async with session.get(sim.running.url + huge) as response:
            assert response.status == 404
            assert (await response.json())["kind"] == "Status"
        for path in (
            "/api/v1/namespaces/%00%ff/configmaps",
            "/apis/%E2%98%83/v1",
            "//api//v1//pods",
        ):
            async with session.get(sim.running.url + path) as response:
                assert response.status < 500
                assert response.headers["Content-Type"].startswith("application/json")


PREFIXES = (
    "",
    "/api",
    "/api/v1",
    "/api/v1/watch",
    "/apis",
    "/apis/apps/v1",
    "/api/v1/namespaces/default",
    "/apis/apps/v1/namespaces/kube-system",
    "/apis/example.com/v1/namespaces/default",
    "/apis/apiextensions.k8s.io/v1",
    "/apis/authorization.k8s.io/v1",
    "/openapi",
    "/_sim",
)
SEGMENTS = (
    "pods", "configmaps", "deployments", "widgets", "namespaces", "default", "status", "watch",
    "customresourcedefinitions", "widget-red", "coredns", "..", "%", "x" * 300, "", "%2F",
    "faults", "nodes", "node-0000", "\u2603", "scale", "selfsubjectaccessreviews", "v2", "v3",
)  # fmt: skip
QUERIES = (
    "", "?watch=1", "?watch=true&resourceVersion=1", "?limit=-1", "?limit=2", "?labelSelector=!",
    "?continue=%%", "?fieldSelector=metadata.name%3Dx", "?resourceVersion=0&watch=1",
    "?allowWatchBookmarks=true&watch=1&sendInitialEvents=true", "?dryRun=All",
)  # fmt: skip
BODIES = (
    b"", b"{", b"[]", b"null", b'{"metadata": {"name": "fuzz"}}', bytes(range(256)),
    b'{"metadata": {"name": "fuzz", "finalizers": ["a/b"]}, "spec": {"group": 1}}',
    b'[{"op": "add", "path": "/metadata/labels/x", "value": "y"}]',
    b"k8s\x00\x0a\x11\x0a\x02v1\x12\x09ConfigMap\x12\x03\x0a\x01\xff",
)  # fmt: skip
CONTENT_TYPES = (
    "application/json", "application/merge-patch+json", "application/json-patch+json",
    "application/strategic-merge-patch+json", "application/apply-patch+yaml", "text/plain",
    "application/vnd.kubernetes.protobuf",
)  # fmt: skip


COLLECTIONS = (
    "/api/v1/namespaces/default/configmaps",
    "/apis/apps/v1/namespaces/default/deployments",
    "/apis/example.com/v1/namespaces/default/widgets",
    "/api/v1/namespaces",
    "/api/v1/nodes",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
)


async def test_every_verb_body_and_content_type_on_real_resources(sim: Sim) -> None:
    sim.cluster.watch_timeout = 0.05
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession() as session:
        for collection in COLLECTIONS:
            subresources = ("/fuzz/status", "/fuzz/scale", "/web/scale")
            for path in (collection, collection + "/fuzz", *(collection + s for s in subresources)):
                for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    for body in BODIES:
                        for content_type in CONTENT_TYPES:
                            async with session.request(
                                method, sim.running.url + path, data=body,
                                headers={"Content-Type": content_type},
                            ) as response:  # fmt: skip
                                assert response.status < 500, (method, path, body)
                                if response.status >= 400:
                                    assert (await response.json())["kind"] == "Status"
                                statuses[response.status] = statuses.get(response.status, 0) + 1
    assert {200, 201, 400, 404, 405, 409, 415, 422} <= set(statuses)


async def test_random_requests_never_fail_the_server(sim: Sim) -> None:
    sim.cluster.watch_timeout = 0.05
    rng = random.Random(5)
    methods = ["GET", "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    statuses: set[int] = set()
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            path = rng.choice(PREFIXES)
            for _ in range(rng.randint(0, 3)):
                path += "/" + rng.choice(SEGMENTS)
            method = rng.choice(methods)
            url = sim.running.url + (path or "/") + rng.choice(QUERIES)
            headers = {"Content-Type": rng.choice(CONTENT_TYPES)}
            async with session.request(
                method, url, data=rng.choice(BODIES), headers=headers
            ) as response:
                assert response.status < 500, (method, url)
                await response.read()
                statuses.add(response.status)
        assert {200, 400, 404} <= statuses
        async with session.get(sim.running.url + "/readyz") as ready:
            assert await ready.text() == "ok"
        async with session.get(sim.running.url + "/openapi/v2") as openapi:
            assert openapi.status == 200
            assert (await openapi.json())["swagger"] == "2.0"
        async with session.get(sim.running.url + "/openapi/v9") as unknown:
            assert unknown.status == 404
        async with session.get(sim.running.url + "/api/v1/namespaces/kube-system") as system:
            assert system.status == 200
