"""The in-cluster deployment: manifests parse and hang together, the ClusterRole grants
exactly the verbs the code uses, and the container build runs as a non-root user."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path
from typing import Any

import yaml

from graphql_server.settings import describe
from tests.conftest import installed_kubectl

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BASE = DEPLOY / "kubernetes" / "base"
OVERLAY = DEPLOY / "kubernetes" / "overlays" / "postgres-nats"
# The HTTP methods a Kubernetes client may send, and the RBAC verbs each one needs.
VERBS_BY_METHOD = {
    "GET": {"get", "list", "watch"},
    "POST": {"create"},
    "PUT": {"update"},
    "PATCH": {"patch"},
    "DELETE": {"delete", "deletecollection"},
}
NOT_YET_SETTINGS = {"GRAPHQL_SERVER_NATS_URL"}  # the scale-out variant's broker URL


def documents(directory: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            assert isinstance(document, dict), path
            assert document.get("apiVersion"), path
            assert document.get("kind"), path
            assert document.get("metadata", {}).get("name"), path
            found.append(document)
    return found


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    matching = by_kind(docs, kind)
    assert len(matching) == 1, f"{len(matching)} {kind}"
    return matching[0]


def http_methods_the_code_sends() -> set[str]:
    """Every HTTP method the Kubernetes client code passes to the transport.

    Reads ``graphql_server/kube``: each call of ``KubeClient._request`` and of
    kubernetes_asyncio's ``call_api`` names its method with a string literal or
    passes the caller's ``method`` through; every ``_request`` caller is a literal.
    """
    methods: set[str] = set()
    for path in sorted((REPO / "graphql_server" / "kube").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            position = {"_request": 0, "call_api": 1}.get(node.func.attr)
            if position is None:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant):
                methods.add(str(argument.value).upper())
            else:
                assert isinstance(argument, ast.Name), ast.dump(argument)
                assert argument.id == "method", f"{path.name}: method from {argument.id}"
    return methods


def test_the_code_only_reads() -> None:
    assert http_methods_the_code_sends() == {"GET"}


def test_base_manifests_parse_and_hold_every_part() -> None:
    docs = documents(BASE)
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    files = sorted(p.name for p in BASE.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(kustomization["resources"]) == files
    kinds = {d["kind"] for d in docs}
    assert kinds == {
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
        "PersistentVolumeClaim",
    }
    namespace = one(docs, "Namespace")["metadata"]["name"]
    for document in docs:
        if document["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert document["metadata"]["namespace"] == namespace, document["kind"]


def test_the_cluster_role_grants_exactly_the_verbs_the_code_uses() -> None:
    docs = documents(BASE)
    role = one(docs, "ClusterRole")
    used = set().union(*(VERBS_BY_METHOD[m] for m in http_methods_the_code_sends()))
    assert used == {"get", "list", "watch"}
    rules = role["rules"]
    assert len(rules) == 1
    assert set(rules[0]["verbs"]) == used
    assert len(rules[0]["verbs"]) == len(used)
    assert rules[0]["resources"] == ["*"]
    assert rules[0]["apiGroups"] == ["*"]
    assert "nonResourceURLs" not in rules[0]

    binding = one(docs, "ClusterRoleBinding")
    account = one(docs, "ServiceAccount")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": account["metadata"]["name"],
            "namespace": account["metadata"]["namespace"],
        }
    ]


def test_the_deployment_serves_with_a_token_probes_and_a_volume() -> None:
    docs = documents(BASE)
    deployment = one(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert pod["serviceAccountName"] == one(docs, "ServiceAccount")["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    [container] = pod["containers"]
    args = container["args"]
    assert args[0] == "serve"
    assert args[args.index("--host") + 1] == "0.0.0.0"
    assert "--insecure" not in args
    assert "--kubeconfig" not in args  # the pod's service account is used
    env = {e["name"]: e for e in container["env"]}
    token = env["GRAPHQL_SERVER_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert token["name"]
    assert "optional" not in token  # no token, no start
    assert set(env) <= {row[1] for row in describe()}
    port = container["ports"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True

    claim = one(docs, "PersistentVolumeClaim")
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    data_dir = env["GRAPHQL_SERVER_DATA_DIR"]["value"]
    [data] = [name for name, path in mounts.items() if path == data_dir]
    assert volumes[data]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]

    service = one(docs, "Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]


def test_the_postgres_and_nats_variant() -> None:
    docs = documents(OVERLAY)
    kustomization = yaml.safe_load((OVERLAY / "kustomization.yaml").read_text())
    assert "../../base" in kustomization["resources"]
    for resource in kustomization["resources"]:
        assert (OVERLAY / resource).exists(), resource
    names = {d["metadata"]["name"] for d in by_kind(docs, "StatefulSet")}
    assert names == {"postgres", "nats"}
    patch = one(docs, "Deployment")
    [container] = patch["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["GRAPHQL_SERVER_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "url"
    assert env["GRAPHQL_SERVER_SECRET_KEY"]["valueFrom"]["secretKeyRef"]
    assert set(env) - NOT_YET_SETTINGS <= {row[1] for row in describe()}


def test_kustomize_renders_both_variants() -> None:
    kubectl = installed_kubectl()

    def render(directory: Path) -> list[dict[str, Any]]:
        result = subprocess.run(
            [str(kubectl), "kustomize", str(directory)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return [d for d in yaml.safe_load_all(result.stdout) if d]

    base = render(BASE)
    assert one(base, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "graphql-server:0.1.0"
    )
    overlay = render(OVERLAY)
    assert not by_kind(overlay, "PersistentVolumeClaim")
    deployment = one(overlay, "Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"] == {"name": "data", "emptyDir": {}}
    env = {e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {"GRAPHQL_SERVER_AUTH_TOKEN", "GRAPHQL_SERVER_DATABASE_URL"} <= env
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    for document in overlay:
        namespace = document["metadata"].get("namespace")
        assert namespace == (None if document["kind"] in cluster_scoped else "graphql-server")


def test_the_container_build_runs_the_server_unprivileged() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    instructions = [
        line.split(None, 1)
        for line in text.splitlines()
        if line.strip() and not line.startswith(("#", " "))
    ]
    stages = [rest for word, rest in instructions if word == "FROM"]
    assert len(stages) == 2
    assert "AS build" in stages[0]
    assert any(word == "COPY" and "--from=build" in rest for word, rest in instructions)
    users = [rest.strip() for word, rest in instructions if word == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("0", "root")
    entrypoint = next(rest for word, rest in instructions if word == "ENTRYPOINT")
    command = next(rest for word, rest in instructions if word == "CMD")
    assert '"graphql-server"' in entrypoint
    assert '"serve", "--host", "0.0.0.0"' in command
    ignored = (DEPLOY / "Containerfile.dockerignore").read_text().split()
    assert ignored[0] == "*"
    assert "!graphql_server/" in ignored
