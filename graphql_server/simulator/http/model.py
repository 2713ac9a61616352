"""What the HTTP layer needs from a simulated cluster: the :class:`ClusterModel` protocol.

Owns the one contract between ``simulator.http`` and the model: every route,
stream and admin hook is typed against this protocol, never against the concrete
:class:`~graphql_server.simulator.SimulatedCluster`, so the HTTP modules and the
model do not import each other (the model's facade satisfies it structurally).
Types only: no behaviour, no I/O.
"""

from __future__ import annotations

from typing import Any, Protocol

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.faults import Faults
from graphql_server.simulator.history import History
from graphql_server.simulator.listing import Page
from graphql_server.simulator.selectors import FieldSelector, LabelSelector
from graphql_server.simulator.store import Entry, ResourceStore
from graphql_server.simulator.watching import WatchHub


class ChurnState(Protocol):
    """A running churn as the ``/_sim/churn`` hook reports it."""

    @property
    def rate(self) -> float: ...
    @property
    def running(self) -> bool: ...


class ClusterModel(Protocol):
    """A simulated cluster as the HTTP layer sees it."""

    @property
    def name(self) -> str: ...
    @property
    def token(self) -> str | None: ...
    @property
    def seed(self) -> int: ...
    @property
    def rv(self) -> int: ...
    @property
    def bookmark_interval(self) -> float: ...
    @property
    def watch_timeout(self) -> float: ...
    @property
    def faults(self) -> Faults: ...
    @property
    def hub(self) -> WatchHub: ...
    @property
    def history(self) -> History: ...
    @property
    def served(self) -> dict[tuple[str, str, str], ResourceType]: ...
    @property
    def groups(self) -> list[str]: ...

    # -- discovery and reading ---------------------------------------------------

    def versions_of(self, group: str) -> list[str]: ...
    def served_types(self, group: str, version: str) -> list[ResourceType]: ...
    def resolve(self, group: str, version: str, plural: str) -> ResourceType: ...
    def store(self, rtype: ResourceType) -> ResourceStore: ...
    def get(self, rtype: ResourceType, namespace: str, name: str) -> Entry: ...
    def list_page(
        self,
        rtype: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
        limit: int | None = None,
        token: str | None = None,
    ) -> Page: ...

    # -- writing -------------------------------------------------------------------

    def create(
        self,
        rtype: ResourceType,
        namespace: str,
        body: Any,
        *,
        dry_run: bool = False,
        field_manager: str = "",
        applied: bool = False,
    ) -> Entry: ...
    def replace(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str = "",
    ) -> Entry: ...
    def patch(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        patch: Any,
        *,
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str = "",
        force: bool = False,
    ) -> Entry: ...
    def delete(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        *,
        propagation: str = "Background",
        precondition_uid: str | None = None,
        precondition_rv: str | None = None,
        dry_run: bool = False,
    ) -> tuple[Entry, bool]: ...
    def delete_collection(
        self,
        rtype: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None,
        fields: FieldSelector | None,
    ) -> list[Entry]: ...

    # -- population and faults (the /_sim/ hooks) ------------------------------------

    def seed_objects(self, objects: int = 1000, seed: int | None = None) -> dict[str, Any]: ...
    async def start_churn(self, rate: float, seed: int | None = None) -> ChurnState: ...
    async def stop_churn(self) -> None: ...
    async def churn_burst(self, events: int, seed: int) -> int: ...
    def compact_history(self) -> int: ...
    def expire_watches(self) -> int: ...
    def drop_watches(self) -> int: ...
    def stall_watches(self) -> None: ...
    def unstall_watches(self) -> None: ...
    def inject_error(
        self,
        resource: str,
        status: int = 500,
        count: int | None = None,
        retry_after: int | None = None,
    ) -> None: ...
    def clear_errors(self, resource: str | None = None) -> None: ...
    def set_latency(self, seconds: float, resource: str = "*") -> None: ...
    def forbid(self, resource: str) -> None: ...
    def allow(self, resource: str) -> None: ...
    def clear_faults(self) -> None: ...
    def summary(self) -> dict[str, Any]: ...
