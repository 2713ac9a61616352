"""Server-side apply through kubectl: managedFields, conflicts and ``--force-conflicts``.

Per the server-side apply documentation: each applier owns the fields its configuration
sets (``managedFields``, operation Apply); applying a different value to a field another
manager owns is a 409 conflict naming the field and the manager, unless forced, when the
field changes owner; lists of containers merge by name, so an applier that names one
container leaves the others alone.
"""

from __future__ import annotations

from typing import Any

from .conftest import Kubectl
from .manifests import FIRST, MISMATCHED, NO_SELECTOR

NS = ("-n", "shop")

REPLICAS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 5
"""

ONE_CONTAINER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: sidecar
        image: busybox:1.37
"""


def managers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{m['manager']}/{m['operation']}": m["fieldsV1"] for m in obj["metadata"]["managedFields"]
    }


async def get(kubectl: Kubectl) -> dict[str, Any]:
    return dict(await kubectl.json("get", "deploy/web", *NS, "--show-managed-fields"))


async def test_conflicts_and_forced_ownership(kubectl: Kubectl) -> None:
    out = await kubectl.ok("apply", "--server-side", "-f", "-", stdin=FIRST)
    assert "deployment.apps/web serverside-applied" in out
    deploy = await get(kubectl)
    owned = managers(deploy)
    assert list(owned) == ["kubectl/Apply"]
    spec = owned["kubectl/Apply"]["f:spec"]
    assert "f:replicas" in spec
    app = spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']
    assert "." in app
    assert "f:image" in app
    # Defaults the server filled in are nobody's (the applier did not set them).
    assert "f:imagePullPolicy" not in app

    err = await kubectl.fails(
        "apply", "--server-side", "--field-manager=ops", "-f", "-", stdin=REPLICAS
    )
    assert 'conflict with "kubectl"' in err
    assert ".spec.replicas" in err
    assert (await get(kubectl))["spec"]["replicas"] == 2

    await kubectl.ok(
        "apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", "-",
        stdin=REPLICAS,
    )  # fmt: skip
    deploy = await get(kubectl)
    assert deploy["spec"]["replicas"] == 5
    owned = managers(deploy)
    assert owned["ops/Apply"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in owned["kubectl/Apply"]["f:spec"]

    # The first applier now conflicts with the new owner of .spec.replicas.
    err = await kubectl.fails("apply", "--server-side", "-f", "-", stdin=FIRST)
    assert 'conflict with "ops"' in err
    assert ".spec.replicas" in err


async def test_applying_one_container_keeps_the_others(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "--server-side", "-f", "-", stdin=FIRST)
    err = await kubectl.fails(
        "apply", "--server-side", "--field-manager=ops", "-f", "-", stdin=ONE_CONTAINER
    )
    assert '.spec.template.spec.containers[name="sidecar"].image' in err
    await kubectl.ok(
        "apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", "-",
        stdin=ONE_CONTAINER,
    )  # fmt: skip
    deploy = await get(kubectl)
    images = {c["name"]: c["image"] for c in deploy["spec"]["template"]["spec"]["containers"]}
    assert images == {"app": "nginx:1.25", "sidecar": "busybox:1.37"}
    # An ordinary update (kubectl scale) records its manager as an Update.
    await kubectl.ok("scale", "deploy/web", "--replicas=3", *NS)
    owned = managers(await get(kubectl))
    scaler = next(k for k in owned if k.endswith("/Update"))
    assert owned[scaler] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in owned["kubectl/Apply"]["f:spec"]


async def test_apply_cannot_create_a_deployment_without_its_required_fields(
    kubectl: Kubectl,
) -> None:
    await kubectl.ok("create", "namespace", "shop")
    err = await kubectl.fails("apply", "--server-side", "-f", "-", stdin=NO_SELECTOR)
    assert 'The Deployment "loose" is invalid' in err
    assert "spec.selector: Required value" in err
    code, _, _ = await kubectl.run("get", "deploy/loose", *NS)
    assert code != 0
    # The apiserver's validation of pod templates and selectors, beyond the schema.
    err = await kubectl.fails("apply", "--server-side", "-f", "-", stdin=MISMATCHED)
    assert 'The Deployment "odd" is invalid' in err
    assert "spec.template.spec.containers[0].image: Required value" in err
    assert 'spec.template.spec.containers[1].name: Duplicate value: "a"' in err
    assert (
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"even"}: '
        "`selector` does not match template `labels`"
    ) in err
    code, _, _ = await kubectl.run("get", "deploy/odd", *NS)
    assert code != 0


async def test_moving_from_client_side_to_server_side_apply(kubectl: Kubectl) -> None:
    # "Upgrading from client-side apply to server-side apply": kubectl's manager takes
    # over what client-side apply set without conflicts, and the record stays current.
    await kubectl.ok("apply", "-f", "-", stdin=FIRST)
    changed = FIRST.replace("nginx:1.25", "nginx:1.26")
    out = await kubectl.ok("apply", "--server-side", "-f", "-", stdin=changed)
    assert "deployment.apps/web serverside-applied" in out
    deploy = await get(kubectl)
    images = [c["image"] for c in deploy["spec"]["template"]["spec"]["containers"]]
    assert images == ["nginx:1.26", "busybox:1.36"]
    assert "kubectl/Apply" in managers(deploy)
    last = deploy["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert "nginx:1.26" in last
    # Another manager gets no such pass.
    err = await kubectl.fails(
        "apply", "--server-side", "--field-manager=ops", "-f", "-", stdin=REPLICAS
    )
    assert ".spec.replicas" in err
