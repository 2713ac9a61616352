"""Credentials: create, update, delete and assign them, each change in the event log.

Credential messages name the credential and its type, never a value. Deleting a
credential still assigned is refused unless forced; a forced delete unassigns it and
deletes it in one transaction. Assigning a credential does not move any connection's
status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql_server.errors import BadInput, Conflict
from graphql_server.lifecycle import ConnectionStatus
from graphql_server.services.notices import Notices
from graphql_server.store.connections import ConnectionRecord
from graphql_server.store.credentials import CredentialRecord


async def log_credential(
    notices: Notices, record: CredentialRecord, verb: str, suffix: str = "", **extra: Any
) -> None:
    """An event log entry about a credential: its name and type, never a value."""
    await notices.log(
        category="credential",
        subject_type="credential",
        subject_id=record.id,
        subject_name=record.name,
        message=f"{verb} {record.kind} {record.type} credential {record.name!r}{suffix}",
        **extra,
    )


class CredentialService(Notices):
    """The credential mutations, for one request's store and broker."""

    async def create(
        self, *, name: str, kind: str, type: str, data: dict[str, Any]
    ) -> CredentialRecord:
        async with self.atomic():
            record = await self.store.credentials.create(name=name, kind=kind, type=type, data=data)
            await log_credential(self, record, "created")
        return record

    async def update(
        self, credential_id: str, *, name: str | None, data: dict[str, Any] | None
    ) -> CredentialRecord:
        """Rename and/or change fields (a ``None`` value removes a field)."""
        async with self.atomic():
            record = await self.store.credentials.update(credential_id, name=name, data=data)
            changed = sorted(data or {})
            await log_credential(
                self, record, "updated", f" (fields {', '.join(changed)})" if changed else ""
            )
        return record

    async def delete(self, credential_id: str, *, force: bool = False) -> CredentialRecord:
        """Delete a credential; one in use is a ``Conflict`` unless ``force`` unassigns it
        first. Unassigning, deleting and the log entry commit together."""
        async with self.atomic():
            record = await self.store.credentials.require(credential_id)
            users = await self.store.connections.credential_users(record.id)
            if users and not force:
                raise Conflict(
                    f"credential {record.name!r} is used by {users} connection(s); "
                    "assign them another or delete with force",
                    connections=users,
                )
            await self.store.connections.detach_credential(record.id)
            await self.store.credentials.delete(record.id)
            await log_credential(
                self,
                record,
                "deleted",
                severity="warning" if users else "info",
                details={"unassignedFrom": users},
            )
        return record

    async def assign(
        self, credential_id: str, connection_ids: Sequence[str]
    ) -> list[ConnectionRecord]:
        """Use one credential for connections of its kind (none deleted)."""
        credential = await self.store.credentials.require(credential_id)
        if not connection_ids:
            raise BadInput("name at least one connection", field="connectionIds")
        targets = await self.store.connections.require_many(list(connection_ids))
        for target in targets:
            if target.kind != credential.kind:
                raise BadInput(
                    f"credential {credential.name!r} is for {credential.kind}; "
                    f"connection {target.name!r} is a {target.kind} connection",
                    field="connectionIds",
                )
            if target.status is ConnectionStatus.DELETED:
                raise BadInput(f"connection {target.name!r} is deleted", field="connectionIds")
        async with self.atomic():
            records = await self.store.connections.assign_credential(
                credential.id, [t.id for t in targets]
            )
            for record in records:
                await self.log_connection(
                    record,
                    "credential",
                    f"credential {credential.name!r} assigned to {record.kind} connection "
                    f"{record.name!r}",
                    details={"credentialId": credential.id},
                )
                await self.announce("UPDATED", record)
        return records
