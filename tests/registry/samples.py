"""Small, realistic definition documents used by the registry tests."""

from __future__ import annotations

from typing import Any

import orjson

KEDA_SVG_PLAIN = (
    '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 32 32" height="20" width="20">'
    '<path fill="#326CE5" d="M4 16a12 12 0 1 0 24 0a12 12 0 1 0-24 0z"/></svg>'
)
KEDA_SVG = '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE svg>' + KEDA_SVG_PLAIN
"""As Meshery files carry it: with a prologue, which sanitising strips."""
KEDA_SVG_WHITE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" height="20" width="20">'
    '<path fill="#fff" d="M4 16a12 12 0 1 0 24 0a12 12 0 1 0-24 0z"/></svg>'
)

SCALED_OBJECT_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "minReplicaCount": {"type": "integer"},
                "scaleTargetRef": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        }
    },
}


def meshery_model() -> dict[str, Any]:
    return {
        "id": "00000000-0000-0000-0000-000000000000",
        "schemaVersion": "models.meshery.io/v1beta1",
        "version": "v1.0.0",
        "name": "keda",
        "displayName": "KEDA",
        "description": "Kubernetes-based event driven autoscaling",
        "status": "enabled",
        "registrant": {"kind": "artifacthub"},
        "category": {"name": "Orchestration & Management", "metadata": None},
        "subCategory": "Scheduling & Orchestration",
        "metadata": {
            "isAnnotation": False,
            "primaryColor": "#326CE5",
            "secondaryColor": "#00D3A9",
            "shape": "circle",
            "svgColor": KEDA_SVG,
            "svgWhite": KEDA_SVG_WHITE,
            "svgComplete": "",
        },
        "model": {"version": "2.14.0"},
        "components": None,
        "relationships": None,
    }


def meshery_component(kind: str = "ScaledObject", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "00000000-0000-0000-0000-000000000000",
        "schemaVersion": "components.meshery.io/v1beta1",
        "version": "v1.0.0",
        "displayName": "Scaled Object",
        "description": "",
        "format": "JSON",
        "model": {
            "id": "00000000-0000-0000-0000-000000000000",
            "schemaVersion": "models.meshery.io/v1beta1",
            "version": "v1.0.0",
            "name": "keda",
            "displayName": "KEDA",
            "status": "enabled",
            "registrant": {"kind": "artifacthub"},
            "category": {"name": "Orchestration & Management"},
            "metadata": {"primaryColor": "#326CE5", "secondaryColor": "#00D3A9"},
            "model": {"version": "2.14.0"},
        },
        "styles": {
            "primaryColor": "#2F61D4",
            "secondaryColor": "#00D3A9",
            "shape": "circle",
            "svgColor": KEDA_SVG,
            "svgWhite": KEDA_SVG_WHITE,
            "svgComplete": "",
        },
        "capabilities": None,
        "status": "enabled",
        "metadata": {
            "genealogy": "",
            "isAnnotation": False,
            "isNamespaced": True,
            "published": False,
        },
        "configuration": None,
        "component": {
            "version": "keda.sh/v1alpha1",
            "kind": kind,
            "schema": orjson.dumps(SCALED_OBJECT_SCHEMA).decode(),
        },
    }
    doc.update(overrides)
    return doc


def meshery_pod_component() -> dict[str, Any]:
    """A Meshery Kubernetes Pod component, as found in Meshery's kubernetes model."""
    return {
        "schemaVersion": "components.meshery.io/v1beta1",
        "version": "v1.0.0",
        "displayName": "Pod (Meshery)",
        "component": {"kind": "Pod", "version": "v1", "schema": '{"type":"object"}'},
        "model": {
            "name": "kubernetes",
            "version": "v1.0.0",
            "displayName": "Kubernetes",
            "category": {"name": "Orchestration & Management"},
            "metadata": {"svgColor": "", "svgWhite": ""},
            "model": {"version": "v1.30.0"},
        },
        "styles": {
            "primaryColor": "#326CE5",
            "secondaryColor": "#7aa1f0",
            "svgColor": KEDA_SVG,
            "svgWhite": KEDA_SVG_WHITE,
            "shape": "round-rectangle",
        },
        "metadata": {"isNamespaced": True},
    }


def native_model(
    name: str = "widgets",
    version: str = "1.0.0",
    *,
    priority: int | None = None,
    components: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemaVersion": "registry.graphql-server/v1",
        "name": name,
        "version": version,
        "displayName": name.title(),
        "category": "App Definition and Development",
        "styles": {"primaryColor": "#00897B", "secondaryColor": "#80CBC4"},
        "components": components
        if components is not None
        else [{"apiVersion": "example.com/v1", "kind": "Widget", "namespaced": True}],
    }
    if priority is not None:
        doc["priority"] = priority
    return doc
