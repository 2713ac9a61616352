"""The OpenAPI documents a simulated cluster publishes, as real apiservers publish them.

``/openapi/v3`` lists one document per served group/version with a content hash in its
URL (a ``?hash=`` fetch is immutable); each document's paths carry their
``x-kubernetes-group-version-kind`` and the ``fieldValidation`` parameter, and its
schemas the kinds with what they reference. A new CRD adds its group/version and
changes nothing else's hash; the self-subject reviews are create-only kinds.
``/openapi/v2`` is swagger 2.0, or protobuf on request.
"""

from __future__ import annotations

import aiohttp
import yaml

from ..helpers import Sim
from ..kubectl.manifests import CRD

PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


async def test_v3_index_documents_and_hashes(sim: Sim) -> None:
    async with aiohttp.ClientSession(sim.running.url) as session:
        async with session.get("/openapi/v3") as response:
            index = (await response.json())["paths"]
        assert {"api/v1", "apis/apps/v1", "apis/apiextensions.k8s.io/v1"} <= set(index)
        url = index["apis/apps/v1"]["serverRelativeURL"]
        assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
        async with session.get(url) as response:
            assert response.status == 200
            assert "immutable" in response.headers["Cache-Control"]
            doc = await response.json()
        assert doc["openapi"].startswith("3.")
        schemas = doc["components"]["schemas"]
        deployment = schemas["io.k8s.api.apps.v1.Deployment"]
        assert deployment["x-kubernetes-group-version-kind"] == [
            {"group": "apps", "version": "v1", "kind": "Deployment"}
        ]
        containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
        assert containers["x-kubernetes-patch-merge-key"] == "name"
        assert containers["x-kubernetes-patch-strategy"] == "merge"
        assert schemas["io.k8s.api.apps.v1.DeploymentSpec"]["required"] == ["selector", "template"]
        patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
        assert patch["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
        assert "fieldValidation" in {p["name"] for p in patch["parameters"]}

        sim.cluster.create_object(yaml.safe_load(CRD))
        async with session.get("/openapi/v3") as response:
            after = (await response.json())["paths"]
        assert after["apis/apps/v1"] == index["apis/apps/v1"]
        assert after["apis/example.com/v1"] != index["apis/example.com/v1"]
        async with session.get("/openapi/v3/apis/example.com/v1") as response:
            custom = (await response.json())["components"]["schemas"]
        gadget = custom["com.example.v1.Gadget"]
        assert gadget["x-kubernetes-group-version-kind"][0]["kind"] == "Gadget"
        assert gadget["properties"]["spec"]["properties"]["size"]["maximum"] == 10
        assert gadget["properties"]["metadata"]["allOf"][0]["$ref"].endswith(".ObjectMeta")
        async with session.get("/openapi/v3/apis/nothing.example/v1") as response:
            assert response.status == 404


async def test_self_subject_reviews_are_create_only_kinds(sim: Sim) -> None:
    # Real servers publish the review kinds with a single POST operation each.
    async with aiohttp.ClientSession(sim.running.url) as session:
        async with session.get("/openapi/v3") as response:
            index = (await response.json())["paths"]
        assert {"apis/authorization.k8s.io/v1", "apis/authentication.k8s.io/v1"} <= set(index)
        async with session.get("/openapi/v3/apis/authorization.k8s.io/v1") as response:
            doc = await response.json()
        assert {path: list(ops) for path, ops in doc["paths"].items()} == {
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews": ["post"],
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews": ["post"],
        }
        post = doc["paths"]["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]["post"]
        assert post["x-kubernetes-action"] == "post"
        assert post["operationId"] == "createSelfSubjectAccessReview"
        review = doc["components"]["schemas"]["io.k8s.api.authorization.v1.SelfSubjectAccessReview"]
        assert review["x-kubernetes-group-version-kind"] == [
            {"group": "authorization.k8s.io", "version": "v1", "kind": "SelfSubjectAccessReview"}
        ]
        async with session.get("/openapi/v2") as response:
            v2 = await response.json()
        assert "io.k8s.api.authentication.v1.SelfSubjectReview" in v2["definitions"]


async def test_v2_as_json_and_protobuf(sim: Sim) -> None:
    async with aiohttp.ClientSession(sim.running.url) as session:
        async with session.get("/openapi/v2") as response:
            doc = await response.json()
        assert doc["swagger"] == "2.0"
        pod = doc["definitions"]["io.k8s.api.core.v1.Pod"]
        assert pod["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.core.v1.PodSpec"
        assert pod["x-kubernetes-group-version-kind"] == [
            {"group": "", "version": "v1", "kind": "Pod"}
        ]
        async with session.get("/openapi/v2", headers={"Accept": PROTOBUF}) as response:
            assert response.headers["Content-Type"].startswith(
                "application/com.github.proto-openapi.spec.v2"
            )
            body = await response.read()
        # openapi.v2.Document: field 1 (swagger) is the string "2.0".
        assert body[:5] == b"\x0a\x032.0"
        assert b"io.k8s.api.apps.v1.Deployment" in body
