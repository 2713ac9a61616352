"""kubectl's writing session against the simulator: apply, validation, explain, patches.

Expected results come from the Kubernetes documentation (kubectl apply's three-way
merge, strategic merge patch's merge keys and directives, server-side field
validation, the API conventions' 422 and 415 answers), not from the simulator.
"""

from __future__ import annotations

import orjson

from .conftest import Kubectl
from .manifests import CRD, FIRST, NO_SELECTOR, SECOND, UNKNOWN_FIELD, WRONG_TYPE

NS = ("-n", "shop")


def containers(deploy: dict) -> dict[str, dict]:
    return {c["name"]: c for c in deploy["spec"]["template"]["spec"]["containers"]}


async def test_apply_multi_document_then_changed_version(kubectl: Kubectl) -> None:
    out = await kubectl.ok("apply", "-f", "-", stdin=FIRST)
    assert "namespace/shop created" in out
    assert "configmap/settings created" in out
    assert "deployment.apps/web created" in out
    # Someone else annotates the live object; apply must keep what it never managed.
    await kubectl.ok("annotate", "deploy/web", "owner=team-a", *NS)
    out = await kubectl.ok("apply", "-f", "-", stdin=SECOND)
    assert "deployment.apps/web configured" in out
    deploy = await kubectl.json("get", "deploy/web", *NS)
    assert deploy["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert deploy["metadata"]["annotations"]["owner"] == "team-a"
    last = orjson.loads(
        deploy["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert last["metadata"]["labels"]["tier"] == "front"
    by_name = containers(deploy)
    assert list(by_name) == ["app", "sidecar"]
    assert by_name["app"]["image"] == "nginx:1.27"
    assert by_name["app"]["env"] == [
        {"name": "MODE", "value": "prod"},
        {"name": "LEVEL", "value": "debug"},
    ]
    # Ports default their protocol; containers their pull policy and termination log.
    assert by_name["app"]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert by_name["sidecar"] == {
        "name": "sidecar",
        "image": "busybox:1.36",
        "args": ["sleep", "infinity"],
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    assert deploy["metadata"]["generation"] == 2
    # Dropping the sidecar from the manifest deletes it (it was applied before).
    without = SECOND[: SECOND.index("      - name: sidecar")]
    await kubectl.ok("apply", "-f", "-", stdin=without)
    assert list(containers(await kubectl.json("get", "deploy/web", *NS))) == ["app"]


async def test_create_and_replace_from_files_validate_against_openapi(kubectl: Kubectl) -> None:
    await kubectl.ok("create", "-f", "-", stdin=FIRST)
    replaced = SECOND.replace("nginx:1.27", "nginx:1.28")
    out = await kubectl.ok("replace", "-f", "-", stdin=replaced)
    assert "deployment.apps/web replaced" in out
    deploy = await kubectl.json("get", "deploy/web", *NS)
    assert containers(deploy)["app"]["image"] == "nginx:1.28"
    # kubectl asks for strict server-side validation: unknown fields are refused...
    err = await kubectl.fails("apply", "-f", "-", stdin=UNKNOWN_FIELD)
    assert 'strict decoding error: unknown field "spec.replica"' in err
    code, _, _ = await kubectl.run("get", "deploy/typo", *NS)
    assert code != 0
    # ...and missing required fields are 422 Invalid with their path.
    err = await kubectl.fails("apply", "-f", "-", stdin=NO_SELECTOR)
    assert 'The Deployment "loose" is invalid' in err
    assert "spec.selector: Required value" in err
    # A value its field's Go type cannot hold fails typed decoding: 400, nothing stored.
    err = await kubectl.fails("apply", "-f", "-", stdin=WRONG_TYPE)
    assert (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "bool into Go struct field ObjectMeta.spec.template.metadata.labels of type string"
    ) in err
    assert (await kubectl.run("get", "deploy/switch", *NS))[0] != 0
    # Quantities are strings in the schema and still take numbers (cpu: 1).
    await kubectl.ok("apply", "-f", "-", stdin=WRONG_TYPE.replace("power: on", "power: 'on'"))


async def test_explain_reads_the_published_schemas(kubectl: Kubectl) -> None:
    out = await kubectl.ok("explain", "deployment.spec.replicas")
    assert "KIND:" in out
    assert "Deployment" in out
    assert "replicas" in out
    assert "<integer>" in out
    assert "Number of desired pods" in out
    out = await kubectl.ok("explain", "deployment")
    assert "Deployment enables declarative updates for Pods and ReplicaSets." in out
    out = await kubectl.ok("explain", "pods.spec.containers.ports")
    assert "containerPort" in out
    assert "<integer>" in out
    out = await kubectl.ok("explain", "selfsubjectaccessreviews.spec.resourceAttributes")
    assert "SelfSubjectAccessReview" in out
    assert "verb\t<string>" in out
    await kubectl.ok("apply", "-f", "-", stdin=CRD)
    out = await kubectl.ok("explain", "gadgets.spec.size")
    assert "How big." in out
    assert "<integer>" in out


async def test_set_image_and_patch_flavours(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "-f", "-", stdin=FIRST)
    await kubectl.ok("set", "image", "deploy/web", "sidecar=busybox:1.37", *NS)
    by_name = containers(await kubectl.json("get", "deploy/web", *NS))
    assert by_name["app"]["image"] == "nginx:1.25"
    assert by_name["sidecar"]["image"] == "busybox:1.37"
    # Strategic: containers merge by name, env by name; the rest is kept.
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "EXTRA", "value": "1"}]}]}}}}  # fmt: skip
    await kubectl.ok("patch", "deploy/web", *NS, "-p", orjson.dumps(patch).decode())
    by_name = containers(await kubectl.json("get", "deploy/web", *NS))
    assert [e["name"] for e in by_name["app"]["env"]] == ["MODE", "EXTRA"]
    assert by_name["app"]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert "sidecar" in by_name
    # $patch: delete removes one element by its merge key.
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "$patch": "delete"}]}}}}  # fmt: skip
    await kubectl.ok("patch", "deploy/web", *NS, "-p", orjson.dumps(patch).decode())
    assert list(containers(await kubectl.json("get", "deploy/web", *NS))) == ["app"]
    # A JSON merge patch replaces lists whole.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}]}}}}
    await kubectl.ok(
        "patch", "deploy/web", *NS, "--type", "merge", "-p", orjson.dumps(patch).decode()
    )
    only = containers(await kubectl.json("get", "deploy/web", *NS))
    assert list(only) == ["only"]
    assert only["only"]["image"] == "x"
    assert only["only"]["imagePullPolicy"] == "Always"  # untagged image
    # A JSON patch addresses by index.
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 4}]
    await kubectl.ok("patch", "deploy/web", *NS, "--type", "json", "-p", orjson.dumps(ops).decode())
    assert (await kubectl.json("get", "deploy/web", *NS))["spec"]["replicas"] == 4
