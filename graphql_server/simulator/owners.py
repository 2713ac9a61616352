"""Who owns whom in a simulated cluster: the index behind garbage-collection cascades.

Owns :class:`OwnerIndex`, kept current by every commit from each object's
``ownerReferences``: owner uid -> the (resource key, namespace, name) of its
dependents. It reads entries and deletes nothing itself; the cascade is the
model's.
"""

from __future__ import annotations

from graphql_server.simulator.history import DELETED
from graphql_server.simulator.store import Entry

Dependent = tuple[str, str, str]  # (resource key, namespace, name)


class OwnerIndex:
    """Owner uid -> its dependents, as of the last commit."""

    def __init__(self) -> None:
        self._dependents: dict[str, set[Dependent]] = {}

    def track(self, key: str, entry: Entry, prev: Entry | None, kind: str) -> None:
        """Follow one commit: ``entry`` now has its owners (none once DELETED)."""
        new_owners = () if kind == DELETED else entry.owners
        old_owners = () if prev is None else prev.owners
        if new_owners == old_owners:
            return
        ident = (key, entry.namespace, entry.name)
        for uid in old_owners:
            dependents = self._dependents.get(uid)
            if dependents is not None:
                dependents.discard(ident)
                if not dependents:
                    del self._dependents[uid]
        for uid in new_owners:
            self._dependents.setdefault(uid, set()).add(ident)

    def take(self, owner_uid: str) -> list[Dependent]:
        """The dependents of an owner that is going away, sorted; forgets them."""
        return sorted(self._dependents.pop(owner_uid, ()))
