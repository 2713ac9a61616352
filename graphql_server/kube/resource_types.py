"""What a Kubernetes resource type is: the one :class:`ResourceType` of the project.

Owns the value type naming one served group/version/resource (with its kind,
scope and the discovery details a server advertises: verbs, short names,
categories, status subresource, name rule, storage version) and the vocabulary
those details use. Data only: no I/O and no client, so the simulator and the
discovery loops can share it. Types are named ``plural.group`` (``pods``,
``deployments.apps``), the names the include/exclude filters use.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
STATUS_VERBS: tuple[str, ...] = ("get", "patch", "update")

# How metadata.name is validated for a kind (the apiserver uses different rules).
NAME_SUBDOMAIN = "subdomain"
NAME_LABEL = "label"
NAME_DNS1035 = "dns1035"
NAME_PATH = "path"


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One served resource: ``plural`` in ``group``/``version`` holding ``kind`` objects."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    has_status: bool = False
    name_rule: str = NAME_SUBDOMAIN
    storage_version: str = ""

    @property
    def name(self) -> str:
        """The resource as ``plural.group`` (``pods``, ``deployments.apps``)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key(self) -> str:
        """The same as :attr:`name`: the simulator's stores are keyed by it."""
        return self.name

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, ``group/version`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_api_version(self) -> str:
        version = self.storage_version or self.version
        return f"{self.group}/{version}" if self.group else version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def path_prefix(self) -> str:
        """The URL prefix of the group/version (``/api/v1`` or ``/apis/apps/v1``)."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def collection_path(self) -> str:
        return f"{self.path_prefix}/{self.plural}"
