"""kubectl's ``create`` generators (protobuf bodies from kubectl 1.32 on).

The expected objects are what ``kubectl create --help`` documents each generator to
build; a real apiserver stores them as sent, adding only server fields and defaults.
"""

from __future__ import annotations

import base64

import aiohttp

from ..helpers import Sim
from .conftest import Kubectl


async def test_create_generators(kubectl: Kubectl) -> None:
    await kubectl.ok("create", "namespace", "shop")
    ns = ("-n", "shop")
    await kubectl.ok("create", "configmap", "settings", "--from-literal=colour=blue", *ns)
    await kubectl.ok("create", "secret", "generic", "login", "--from-literal=pw=hunter2", *ns)
    await kubectl.ok(
        "create", "deployment", "web", "--image=nginx:1.27", "--port=80", "--replicas=2", *ns
    )
    await kubectl.ok("create", "service", "clusterip", "web", "--tcp=80:8080", *ns)
    await kubectl.ok("create", "role", "reader", "--verb=get,list", "--resource=pods", *ns)
    await kubectl.ok("create", "rolebinding", "read", "--role=reader", "--user=alice", *ns)
    namespace = await kubectl.json("get", "namespace", "shop")
    assert namespace["metadata"]["labels"]["kubernetes.io/metadata.name"] == "shop"
    assert namespace["status"]["phase"] == "Active"
    configmap = await kubectl.json("get", "configmap", "settings", *ns)
    assert configmap["data"] == {"colour": "blue"}
    secret = await kubectl.json("get", "secret", "login", *ns)
    assert secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["pw"]) == b"hunter2"
    deploy = await kubectl.json("get", "deployment", "web", *ns)
    assert deploy["metadata"]["labels"] == {"app": "web"}
    assert deploy["spec"]["replicas"] == 2
    assert deploy["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert deploy["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
    [container] = deploy["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "nginx"
    assert container["image"] == "nginx:1.27"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert deploy["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert deploy["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    service = await kubectl.json("get", "service", "web", *ns)
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == {"app": "web"}
    assert service["spec"]["ports"] == [
        {"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}
    ]
    role = await kubectl.json("get", "role", "reader", *ns)
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]
    binding = await kubectl.json("get", "rolebinding", "read", *ns)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "reader",
    }
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}
    ]


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


async def test_create_generators_of_networking_and_policy_kinds(kubectl: Kubectl) -> None:
    await kubectl.ok(
        "create", "ingress", "web", "--class=nginx", "--rule=shop.example/api*=web:8080,tls=cert"
    )
    await kubectl.ok("create", "poddisruptionbudget", "web", "--selector=app=web",
                     "--min-available=50%")  # fmt: skip
    await kubectl.ok("create", "priorityclass", "low", "--value=0", "--description=batch")
    ingress = await kubectl.json("get", "ingress", "web")
    assert ingress["spec"] == {
        "ingressClassName": "nginx",
        "rules": [{"host": "shop.example", "http": {"paths": [{
            "path": "/api", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 8080}}},
        }]}}],
        "tls": [{"hosts": ["shop.example"], "secretName": "cert"}],
    }  # fmt: skip
    budget = await kubectl.json("get", "pdb", "web")
    assert budget["spec"] == {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}
    priority = await kubectl.json("get", "priorityclass", "low")
    assert priority["value"] == 0
    assert priority["description"] == "batch"


async def test_autoscale_in_either_autoscaling_version(kubectl: Kubectl) -> None:
    # kubectl 1.33 writes autoscaling/v2, older ones autoscaling/v1: both versions are
    # served from one storage, each converted as the API reference maps their fields.
    await kubectl.ok("create", "deployment", "web", "--image=nginx:1.27")
    await kubectl.ok("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80")
    autoscaler = await kubectl.json("get", "hpa", "web")
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert autoscaler["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 5,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
    }  # fmt: skip
    v1 = await kubectl.raw("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web")
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 80
    assert "metrics" not in v1["spec"]
    listed = await kubectl.ok("get", "hpa")
    assert listed.splitlines()[0].split() == [
        "NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"
    ]  # fmt: skip


async def test_protobuf_bodies_the_server_cannot_decode(sim: Sim) -> None:
    url = sim.running.url + "/api/v1/namespaces/default/configmaps"
    before = sim.cluster.store(sim.cluster.types["configmaps"]).count
    headers = {"Content-Type": "application/vnd.kubernetes.protobuf"}
    # A custom kind in the envelope: real servers only speak protobuf for built-ins.
    envelope = b"k8s\x00" + _field(1, _field(1, b"example.com/v1") + _field(2, b"Gadget"))
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=envelope, headers=headers) as response:
            assert response.status == 415
            assert (await response.json())["reason"] == "UnsupportedMediaType"
        async with session.post(url, data=b"not protobuf", headers=headers) as response:
            assert response.status == 400
            assert (await response.json())["reason"] == "BadRequest"
        async with session.post(url, data=b"k8s\x00\x0a\xff", headers=headers) as response:
            assert response.status == 400
    assert sim.cluster.store(sim.cluster.types["configmaps"]).count == before
