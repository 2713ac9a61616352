"""Generated components of a CRD's kinds carry its schema and printer columns."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphql_server.events import RESOURCES_TOPIC
from graphql_server.registry import PrinterColumn, Registry
from graphql_server.registry.crds import served_kinds
from graphql_server.settings import Settings
from graphql_server.store import Store
from graphql_server.store.resources import ResourceRow
from tests.conftest import RunningServer, free_port, serving
from tests.helpers import data

GIZMO_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
    },
}
COLUMNS = [
    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
    {
        "name": "Phase",
        "type": "string",
        "jsonPath": ".status.phase",
        "description": "Where the gizmo is in its life.",
        "priority": 1,
    },
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def crd_spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "group": "gizmos.example.org",
        "names": {"kind": "Gizmo", "plural": "gizmos", "singular": "gizmo"},
        "scope": "Cluster",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": GIZMO_SCHEMA},
                "additionalPrinterColumns": COLUMNS,
            },
            {"name": "v1beta1", "served": False, "storage": False},
        ],
    }
    spec.update(changes)
    return spec


def resource_row(
    uid: str, name: str, api_version: str, kind: str, resource_type: str, spec: Any
) -> ResourceRow:
    now = datetime.now(UTC)
    return ResourceRow(
        cluster_id="c1",
        uid=uid,
        resource_type=resource_type,
        api_version=api_version,
        group=api_version.rpartition("/")[0],
        kind=kind,
        namespace="",
        name=name,
        resource_version="1",
        labels={},
        annotations={},
        owner_references=[],
        spec=spec,
        status=None,
        extra=None,
        created_at=now,
        updated_at=now,
    )


def crd_row(spec: dict[str, Any] | None = None) -> ResourceRow:
    return resource_row(
        "crd-gizmo",
        "gizmos.gizmos.example.org",
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions.apiextensions.k8s.io",
        spec or crd_spec(),
    )


def gizmo_row() -> ResourceRow:
    return resource_row(
        "gizmo-1", "big-gizmo", "gizmos.example.org/v1", "Gizmo", "gizmos.gizmos.example.org", {}
    )


DEADLINE = 10.0
COMPONENT = """{ resources(first: 10, filter: {kinds: ["Gizmo"]}) { edges { node {
  component { generated namespaced schema
    printerColumns { name type jsonPath description priority }
    resolution { explanation } } } } } }"""


async def gizmo_component(server: RunningServer) -> dict[str, Any]:
    result = await data(server.graphql, COMPONENT)
    (edge,) = result["resources"]["edges"]
    component: dict[str, Any] = edge["node"]["component"]
    return component


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def test_served_versions_with_schema_and_printer_columns() -> None:
    (kind,) = served_kinds(crd_spec())
    assert (kind.api_version, kind.kind, kind.namespaced) == (
        "gizmos.example.org/v1",
        "Gizmo",
        False,
    )
    assert kind.schema is not None
    assert '"size":{"type":"integer"}' in kind.schema
    assert kind.printer_columns[1] == PrinterColumn(
        name="Phase",
        type="string",
        json_path=".status.phase",
        description="Where the gizmo is in its life.",
        priority=1,
    )
    assert served_kinds({"group": "x.org", "names": {"kind": "bad kind"}}) == []
    assert served_kinds("not a spec") == []


def test_a_generated_component_keeps_the_columns_until_a_model_defines_the_kind() -> None:
    registry = Registry()
    (kind,) = served_kinds(crd_spec())
    resolved = registry.generate_for(
        kind.api_version, kind.kind, kind.namespaced, kind.schema, kind.printer_columns
    )
    assert resolved.generated
    assert [c.name for c in resolved.component.printer_columns] == ["Size", "Phase", "Age"]
    assert resolved.component.schema_document() == GIZMO_SCHEMA


async def test_a_crd_stored_before_start_gives_its_kind_schema_and_columns(
    database_url: str, tmp_path: Path
) -> None:
    store = await Store.open(database_url)
    try:
        await store.resources.apply([crd_row(), gizmo_row()], [])
    finally:
        await store.close()
    settings = Settings(database_url=database_url, data_dir=tmp_path, port=free_port())
    async with serving(settings) as server:

        async def has_schema() -> bool:
            return (await gizmo_component(server))["schema"] is not None

        await eventually(has_schema)
        component = await gizmo_component(server)
    assert component["generated"] is True
    assert component["namespaced"] is False
    assert component["schema"] == GIZMO_SCHEMA
    assert [(c["name"], c["jsonPath"]) for c in component["printerColumns"]] == [
        ("Size", ".spec.size"),
        ("Phase", ".status.phase"),
        ("Age", ".metadata.creationTimestamp"),
    ]
    assert "generated model 'gizmos.example.org'" in component["resolution"]["explanation"]


async def test_crd_events_update_and_remove_the_schema(server: RunningServer) -> None:
    store, broker = server.services.store, server.services.broker

    async def apply(rows: list[ResourceRow], deletes: list[tuple[str, str]]) -> None:
        for event in await store.resources.apply(rows, deletes):
            await broker.publish(RESOURCES_TOPIC, event)

    async def following() -> bool:
        return broker.subscriber_count(RESOURCES_TOPIC) > 0

    await eventually(following)
    revision = server.services.registry.revision
    await apply([crd_row(), gizmo_row()], [])

    async def columns() -> list[str]:
        return [c["name"] for c in (await gizmo_component(server))["printerColumns"]]

    async def three_columns() -> bool:
        return await columns() == ["Size", "Phase", "Age"]

    await eventually(three_columns)
    changed = crd_spec()
    changed["versions"][0]["additionalPrinterColumns"] = COLUMNS[:1]
    updated = crd_row(changed)
    updated.resource_version = "2"
    await apply([updated], [])

    async def one_column() -> bool:
        return await columns() == ["Size"]

    await eventually(one_column)
    await apply([], [("c1", "crd-gizmo")])

    async def no_schema() -> bool:
        return (await gizmo_component(server))["schema"] is None

    await eventually(no_schema)
    assert server.services.registry.revision == revision, "generated components are no import"

    listed = await data(
        server.graphql,
        '{ components(filter: {kind: "Gizmo"}) { edges { node { generated '
        "resolution { candidates { model { name } lostOn } } } } } }",
    )
    (edge,) = listed["components"]["edges"]
    assert edge["node"]["resolution"]["candidates"] == [
        {"model": {"name": "gizmos.example.org"}, "lostOn": None}
    ]
