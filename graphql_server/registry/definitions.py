"""Registry definitions: categories, models, components and their styles.

Owns the immutable value types every other registry module passes around, the
source tiers (built-in, imported, generated) and the small helpers that split an
``apiVersion`` into group and version. Must not parse documents, hold state or do
I/O: definitions are built by ``loading``/``generated`` and indexed by ``catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

import orjson


class Source(StrEnum):
    """Where a model came from; the first tier of the precedence rule."""

    IMPORTED = "IMPORTED"
    BUILTIN = "BUILTIN"
    GENERATED = "GENERATED"

    @property
    def rank(self) -> int:
        """Higher wins: IMPORTED (2) over BUILTIN (1) over GENERATED (0)."""
        return _SOURCE_RANK[self]


_SOURCE_RANK = {Source.IMPORTED: 2, Source.BUILTIN: 1, Source.GENERATED: 0}


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    description: str = ""


UNCATEGORIZED = Category("Uncategorized", "Kinds no model describes yet.")

KNOWN_CATEGORIES: tuple[Category, ...] = (
    Category("App Definition and Development", "Delivery, packaging and application runtimes."),
    Category("Cloud Native Network", "Service meshes, gateways and network policy."),
    Category("Cloud Native Storage", "Volumes, storage classes and data services."),
    Category("Observability and Analysis", "Metrics, logs, traces and alerting."),
    Category("Orchestration & Management", "Scheduling and cluster management."),
    Category("Provisioning", "Infrastructure provisioning and automation."),
    Category("Runtime", "Container runtimes and sandboxes."),
    Category("Security & Compliance", "Identity, certificates and policy."),
    Category("Serverless", "Functions and event-driven workloads."),
    UNCATEGORIZED,
)


def category_named(name: str) -> Category:
    """The known category of that name (case-insensitive), else a new one."""
    for category in KNOWN_CATEGORIES:
        if category.name.casefold() == name.casefold():
            return category
    return Category(name)


class ComponentKey(NamedTuple):
    """The identity a component is resolved by: ``(apiVersion, kind)``."""

    api_version: str
    kind: str


class ModelKey(NamedTuple):
    """A model's identity in a registry: the same name and version may exist per source."""

    source: Source
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class Styles:
    """Colours (``#RGB``/``#RRGGBB``/``#RRGGBBAA``), icons (SVG markup) and node shape."""

    primary_color: str
    secondary_color: str
    svg_color: str
    svg_white: str
    shape: str = "round-rectangle"


@dataclass(frozen=True, slots=True)
class PrinterColumn:
    """A column ``kubectl get`` shows for a kind (a CRD's ``additionalPrinterColumns``)."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True, slots=True)
class Component:
    """One Kubernetes kind as a model describes it.

    ``schema`` is the kind's JSON schema as canonical JSON text (sorted keys) so the
    definition stays immutable and hashable; ``schema_document()`` parses it.
    ``printer_columns`` are the columns the cluster lists the kind with, when known.
    """

    model_name: str
    model_version: str
    api_version: str
    kind: str
    display_name: str
    namespaced: bool
    styles: Styles
    schema: str | None = None
    description: str = ""
    printer_columns: tuple[PrinterColumn, ...] = ()

    @property
    def key(self) -> ComponentKey:
        return ComponentKey(self.api_version, self.kind)

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def version(self) -> str:
        return split_api_version(self.api_version)[1]

    def schema_document(self) -> Any:
        return None if self.schema is None else orjson.loads(self.schema)


@dataclass(frozen=True, slots=True)
class Model:
    """A named, versioned set of components with shared category and styles."""

    name: str
    version: str
    display_name: str
    category: Category
    styles: Styles
    source: Source
    priority: int = 0
    description: str = ""
    components: tuple[Component, ...] = ()
    _by_key: dict[ComponentKey, Component] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        for component in self.components:
            self._by_key[component.key] = component

    @property
    def key(self) -> ModelKey:
        return ModelKey(self.source, self.name, self.version)

    def component(self, api_version: str, kind: str) -> Component | None:
        return self._by_key.get(ComponentKey(api_version, kind))

    def with_components(self, components: tuple[Component, ...]) -> Model:
        return Model(
            name=self.name,
            version=self.version,
            display_name=self.display_name,
            category=self.category,
            styles=self.styles,
            source=self.source,
            priority=self.priority,
            description=self.description,
            components=components,
        )


def split_api_version(api_version: str) -> tuple[str, str]:
    """``"apps/v1"`` -> ``("apps", "v1")``; the core group is ``""``: ``"v1"`` -> ``("", "v1")``."""
    group, _, version = api_version.rpartition("/")
    return group, version


def join_api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def canonical_schema(schema: Any) -> str:
    """Canonical JSON text of a schema; raises ``TypeError``/``ValueError`` if not JSON."""
    return orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode()
