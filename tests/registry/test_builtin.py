"""The built-in data: the whole standard catalogue resolves, every kind of connection
is drawn by a built-in model, icons are sound SVG."""

from __future__ import annotations

import ast
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import orjson
import pytest

from graphql_server.connectivity import DEFINITIONS
from graphql_server.registry import Registry, Source, builtin_models
from graphql_server.registry.svg import sanitise

CATALOGUE: dict[str, list[tuple[str, str]]] = {
    "kubernetes": [
        ("v1", "Namespace"),
        ("v1", "Node"),
        ("v1", "Pod"),
        ("v1", "Service"),
        ("v1", "Endpoints"),
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("v1", "PersistentVolume"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "Event"),
        ("events.k8s.io/v1", "Event"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "ReplicaSet"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("networking.k8s.io/v1", "Ingress"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("policy/v1", "PodDisruptionBudget"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ],
    "prometheus-operator": [
        *(
            ("monitoring.coreos.com/v1", kind)
            for kind in (
                "Prometheus",
                "Alertmanager",
                "ServiceMonitor",
                "PodMonitor",
                "PrometheusRule",
                "Probe",
                "ThanosRuler",
            )
        ),
        ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig"),
        ("monitoring.coreos.com/v1alpha1", "ScrapeConfig"),
    ],
    "cert-manager": [
        ("cert-manager.io/v1", "Certificate"),
        ("cert-manager.io/v1", "Issuer"),
        ("cert-manager.io/v1", "ClusterIssuer"),
        ("cert-manager.io/v1", "CertificateRequest"),
        ("acme.cert-manager.io/v1", "Order"),
        ("acme.cert-manager.io/v1", "Challenge"),
    ],
    "istio": [
        *(
            (f"networking.istio.io/{version}", kind)
            for version in ("v1beta1", "v1")
            for kind in ("VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "Sidecar")
        ),
        ("security.istio.io/v1", "AuthorizationPolicy"),
        ("security.istio.io/v1", "PeerAuthentication"),
        ("security.istio.io/v1", "RequestAuthentication"),
    ],
    "argo-cd": [
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "ApplicationSet"),
        ("argoproj.io/v1alpha1", "AppProject"),
    ],
}

CLUSTER_SCOPED = {
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "IngressClass",
    "PriorityClass",
    "CustomResourceDefinition",
    "ClusterIssuer",
}

CASES = [(model, av, kind) for model, keys in CATALOGUE.items() for av, kind in keys]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.with_builtins()


@pytest.mark.parametrize(("model_name", "api_version", "kind"), CASES)
def test_catalogue_kind_resolves_to_its_builtin_model(
    registry: Registry, model_name: str, api_version: str, kind: str
) -> None:
    resolved = registry.resolve(api_version, kind)
    assert resolved is not None, f"{kind} ({api_version}) is not defined"
    assert not resolved.generated
    assert resolved.model.source is Source.BUILTIN
    assert resolved.model.name == model_name
    assert resolved.component.kind == kind
    assert resolved.component.api_version == api_version
    assert resolved.component.namespaced is (kind not in CLUSTER_SCOPED)
    assert resolved.component.display_name


def test_builtins_define_exactly_the_catalogue() -> None:
    defined = {(m.name, c.api_version, c.kind) for m in builtin_models() for c in m.components}
    assert defined == set(CASES)


def test_builtin_models_have_categories_and_distinct_component_colours() -> None:
    categories = {m.name: m.category.name for m in builtin_models()}
    assert categories == {
        "kubernetes": "Orchestration & Management",
        "prometheus-operator": "Observability and Analysis",
        "cert-manager": "Security & Compliance",
        "istio": "Cloud Native Network",
        "argo-cd": "App Definition and Development",
        "prometheus": "Observability and Analysis",
        "grafana": "Observability and Analysis",
    }
    for model in builtin_models():
        kinds = {c.kind: c.styles.primary_color for c in model.components}
        assert len(set(kinds.values())) == len(kinds), f"{model.name} reuses a colour"


def _parse_svg(markup: str) -> ET.Element:
    root = ET.fromstring(markup)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 32 32"
    return root


def test_every_builtin_model_and_component_has_both_icon_variants() -> None:
    for model in builtin_models():
        for styles in (model.styles, *(c.styles for c in model.components)):
            colour, white = _parse_svg(styles.svg_color), _parse_svg(styles.svg_white)
            assert styles.svg_color != styles.svg_white
            assert styles.primary_color.upper() in styles.svg_color.upper()
            fills = {el.get("fill") for el in white.iter() if el.get("fill")}
            assert fills <= {"none", "#FFFFFF"}, "the white variant must only use white"
            assert colour.find("{http://www.w3.org/2000/svg}title") is not None


def test_every_connection_kind_is_drawn_by_its_builtin_model(registry: Registry) -> None:
    icons = resources.files("graphql_server.registry").joinpath("data", "icons")
    drawn = {e.read_text(encoding="utf-8") for e in icons.iterdir()}
    primaries: dict[str, str] = {}
    for definition in DEFINITIONS.values():
        model = registry.model(definition.model)
        assert model is not None, f"no model {definition.model!r} for {definition.kind}"
        assert model.source is Source.BUILTIN
        styles = model.styles
        primaries[definition.kind] = styles.primary_color.upper()
        for markup in (styles.svg_color, styles.svg_white):
            assert sanitise(markup).markup == markup
            root = _parse_svg(markup)
            title = root.find("{http://www.w3.org/2000/svg}title")
            assert title is not None
            assert title.text == model.display_name
            # Drawn in the package's icon files, not the fallback badge drawn at load.
            assert markup in drawn, f"{definition.kind} has no icon file"
    assert len(set(primaries.values())) == len(primaries), primaries


def test_icon_files_are_well_formed_and_all_referenced() -> None:
    data = resources.files("graphql_server.registry").joinpath("data")
    files = {e.name: e.read_text(encoding="utf-8") for e in data.joinpath("icons").iterdir()}
    assert files
    referenced: set[str] = set()
    for entry in data.joinpath("models").iterdir():
        doc = orjson.loads(entry.read_bytes())
        for holder in (doc, *doc["components"]):
            referenced.update(
                holder["styles"][key].removeprefix("icons/") for key in ("svgColor", "svgWhite")
            )
    assert referenced == set(files)
    for name, markup in files.items():
        assert not sanitise(markup).changed, f"{name} is not already a plain drawing"
        _parse_svg(markup)
        assert len(markup) < 2048, f"{name} is not a small glyph"


def test_importing_the_package_reads_no_data() -> None:
    code = (
        "import graphql_server.registry as r, graphql_server.registry.builtin as b;"
        "assert b.builtin_models.cache_info().currsize == 0;"
        "assert b._icons.cache_info().currsize == 0;"
        "r.Registry.with_builtins();"
        "assert b.builtin_models.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_documented_example_definitions_load() -> None:
    examples = Path(__file__).parents[2] / "schema" / "registry" / "examples"
    documents = [(path.name, path.read_bytes()) for path in sorted(examples.glob("*.json"))]
    assert documents
    registry = Registry.with_builtins()
    result = registry.load_many(documents)
    assert result.ok, result.rejected
    resolved = registry.resolve("keda.sh/v1alpha1", "ScaledObject")
    assert resolved is not None
    assert resolved.model.source is Source.IMPORTED
    assert resolved.component.schema_document()["type"] == "object"


ALLOWED_IMPORTS = {"orjson", "graphql_server.errors", "graphql_server.settings"}


def test_registry_imports_only_the_stdlib_orjson_and_leaf_modules() -> None:
    package = Path(__file__).parents[2] / "graphql_server" / "registry"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                allowed = (
                    top in sys.stdlib_module_names
                    or name in ALLOWED_IMPORTS
                    or name.startswith("graphql_server.registry")
                )
                assert allowed, f"{path.name} imports {name}"
