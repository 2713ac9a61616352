"""The rest of an ordinary kubectl session: scale, edit, tables, auth, custom resources.

Expectations follow the Kubernetes documentation: ``kubectl scale`` goes through the
``scale`` subresource (listed in discovery as ``autoscaling/v1`` Scale); ``kubectl get``
prints the server's Table columns (``-o wide`` adds the priority-1 ones); a CRD's
``additionalPrinterColumns`` replace the default Age column; custom resources are
validated against their schema (422 naming each field) and refuse strategic merge
patches (415); ``auth can-i`` answers from SelfSubjectAccessReview.
"""

from __future__ import annotations

import asyncio
import stat
import time
from pathlib import Path

from .conftest import Kubectl
from .manifests import BAD_GADGET, CRD, FIRST, GADGET

NS = ("-n", "shop")


def header(out: str) -> list[str]:
    return out.splitlines()[0].split()


async def test_scale_through_the_subresource(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "-f", "-", stdin=FIRST)
    resources = await kubectl.ok("api-resources", "--api-group=apps", "-o", "name")
    assert "deployments.apps" in resources.split()
    discovery = await kubectl.raw("/apis/apps/v1")
    scale = next(r for r in discovery["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert await kubectl.ok("scale", "deploy/web", "--replicas=5", *NS)
    assert (await kubectl.json("get", "deploy/web", *NS))["spec"]["replicas"] == 5
    err = await kubectl.fails("scale", "deploy/web", "--replicas=1", "--current-replicas=3", *NS)
    assert "Expected replicas to be 3, was 5" in err
    view = await kubectl.raw("/apis/apps/v1/namespaces/shop/deployments/web/scale")
    assert view["kind"] == "Scale"
    assert view["apiVersion"] == "autoscaling/v1"
    assert view["spec"] == {"replicas": 5}
    assert view["status"]["selector"] == "app=web"


async def test_edit_with_a_scripted_editor(kubectl: Kubectl, tmp_path: Path) -> None:
    await kubectl.ok("apply", "-f", "-", stdin=FIRST)
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/busybox:1.36/busybox:1.37/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    out = await kubectl.ok("edit", "deploy/web", *NS, env={"EDITOR": str(editor)})
    assert "deployment.apps/web edited" in out
    deploy = await kubectl.json("get", "deploy/web", *NS)
    images = [c["image"] for c in deploy["spec"]["template"]["spec"]["containers"]]
    assert images == ["nginx:1.25", "busybox:1.37"]


async def test_tables_have_kubectls_columns(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "-f", "-", stdin=FIRST)
    assert header(await kubectl.ok("get", "deploy", *NS)) == [
        "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"
    ]  # fmt: skip
    wide = await kubectl.ok("get", "deploy", *NS, "-o", "wide")
    assert header(wide) == [
        "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"
    ]  # fmt: skip
    row = wide.splitlines()[1].split()
    assert row[0] == "web"
    assert row[1] == "0/2"
    assert row[5:] == ["app,sidecar", "nginx:1.25,busybox:1.36", "app=web"]
    assert header(await kubectl.ok("get", "configmaps", *NS)) == ["NAME", "DATA", "AGE"]
    assert header(await kubectl.ok("get", "namespaces")) == ["NAME", "STATUS", "AGE"]
    await kubectl.ok("create", "service", "clusterip", "web", "--tcp=80:8080", *NS)
    services = await kubectl.ok("get", "services", *NS, "-o", "wide")
    assert header(services) == [
        "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"
    ]  # fmt: skip
    assert services.splitlines()[1].split()[4] == "80/TCP"
    assert header(await kubectl.ok("get", "serviceaccounts", *NS)) == ["NAME", "SECRETS", "AGE"]
    await kubectl.ok("create", "rolebinding", "read", "--clusterrole=view", "--group=devs", *NS)
    bindings = await kubectl.ok("get", "rolebindings", *NS, "-o", "wide")
    assert header(bindings) == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert bindings.splitlines()[1].split()[:2] == ["read", "ClusterRole/view"]
    await kubectl.ok("create", "priorityclass", "low", "--value=10")
    assert header(await kubectl.ok("get", "priorityclass", "low")) == [
        "NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"
    ]  # fmt: skip


async def test_watching_prints_rows_of_the_same_table(kubectl: Kubectl) -> None:
    await kubectl.ok("create", "namespace", "shop")
    kubectl.cluster.watch_timeout = 2.0
    watching = asyncio.create_task(kubectl.ok("get", "configmaps", *NS, "--watch"))
    deadline = time.monotonic() + 20
    while kubectl.cluster.hub.count() == 0:
        assert time.monotonic() < deadline, "kubectl never started watching"
        await asyncio.sleep(0.05)
    kubectl.cluster.create_object(
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "late", "namespace": "shop"}, "data": {"a": "1", "b": "2"}}
    )  # fmt: skip
    lines = (await watching).splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    assert [line.split()[:2] for line in lines[1:]] == [["kube-root-ca.crt", "1"], ["late", "2"]]


async def test_auth_can_i_and_whoami_follow_the_permissions(kubectl: Kubectl) -> None:
    code, out, _ = await kubectl.run("auth", "can-i", "create", "deployments")
    assert (code, out.strip()) == (0, "yes")
    kubectl.cluster.forbid("deployments.apps")
    code, out, _ = await kubectl.run("auth", "can-i", "create", "deployments", *NS)
    assert (code, out.strip()) == (1, "no")
    code, out, _ = await kubectl.run("auth", "can-i", "list", "pods")
    assert (code, out.strip()) == (0, "yes")
    kubectl.cluster.allow("deployments.apps")
    kubectl.cluster.inject_error("pods", 403)
    code, out, _ = await kubectl.run("auth", "can-i", "get", "pods")
    assert (code, out.strip()) == (1, "no")
    kubectl.cluster.clear_faults()
    out = await kubectl.ok("auth", "whoami")
    assert "system:serviceaccount:default:default" in out


async def test_custom_resources_columns_validation_and_patches(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "-f", "-", stdin=FIRST)
    await kubectl.ok("apply", "-f", "-", stdin=CRD)
    await kubectl.ok("apply", "-f", "-", stdin=GADGET)
    # Kinds without a printer of their own get the default table: Name, Created At.
    assert header(await kubectl.ok("get", "crd")) == ["NAME", "CREATED", "AT"]
    out = await kubectl.ok("get", "gadgets", *NS)
    assert header(out) == ["NAME", "SIZE", "AGE"]
    assert out.splitlines()[1].split()[:2] == ["g1", "3"]
    wide = await kubectl.ok("get", "gd", *NS, "-o", "wide")
    assert header(wide) == ["NAME", "SIZE", "COLOUR", "AGE"]
    assert wide.splitlines()[1].split()[:3] == ["g1", "3", "red"]
    err = await kubectl.fails("apply", "-f", "-", stdin=BAD_GADGET)
    assert 'The Gadget "g2" is invalid' in err
    assert (
        "spec.size: Invalid value: 30: spec.size in body should be less than or equal to 10" in err
    )
    assert 'spec.colour: Unsupported value: "green": supported values: "red", "blue"' in err
    code, _, _ = await kubectl.run("get", "gadget/g2", *NS)
    assert code != 0
    # Custom resources take merge patches; a strategic one is 415 Unsupported Media Type.
    await kubectl.ok("patch", "gadget/g1", *NS, "--type", "merge", "-p", '{"spec":{"size":4}}')
    assert (await kubectl.json("get", "gadget/g1", *NS))["spec"]["size"] == 4
    err = await kubectl.fails("patch", "gadget/g1", *NS, "-p", '{"spec":{"size":5}}')
    assert "UnsupportedMediaType" in err or "unknown format" in err
    # The CRD declares a scale subresource: kubectl scale works on it too.
    await kubectl.ok("scale", "gadget/g1", "--replicas=3", *NS)
    assert (await kubectl.json("get", "gadget/g1", *NS))["spec"]["replicas"] == 3
