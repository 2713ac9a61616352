"""Credentials: named secrets for one kind of connection, sealed at rest.

Owns validating credential data against its definition (``connectivity``), sealing it
with :class:`crypto.SecretBox` bound to the credential id, and re-sealing every
credential under a new key. The database holds the ciphertext, the names of the fields
that are set and the values of the fields the definition does not mark secret (a server
URL, a username); never a secret value. Names are unique per kind (a duplicate is a
:class:`Conflict`). :class:`CredentialRecord` carries no secret;
only :meth:`CredentialStore.secret` opens one, for a caller about to use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from graphql_server.connectivity import get_definition, validate_secret
from graphql_server.crypto import SecretBox
from graphql_server.errors import BadInput, ConfigurationError, Conflict, NotFound
from graphql_server.store.connection_models import Credential
from graphql_server.store.database import Database
from graphql_server.store.values import json_text, text, usable, usable_all


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A credential as shown: which fields are set, and the values of non-secret ones."""

    id: str
    name: str
    kind: str
    type: str
    fields_set: tuple[str, ...]
    public: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def secret_fields(self) -> frozenset[str]:
        return get_definition(self.kind).credential(self.type).secret_fields


def _record(row: Credential) -> CredentialRecord:
    return CredentialRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        type=row.type,
        fields_set=tuple(row.fields_set or ()),
        public=dict(row.public or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _name(name: str) -> str:
    cleaned = text(name, "name").strip()
    if not cleaned or len(cleaned) > 253:
        raise BadInput("a credential name must be 1 to 253 characters", field="name")
    return cleaned


def _taken(kind: str, name: str) -> Conflict:
    return Conflict(f"a {kind} credential named {name!r} exists", field="name")


def _split(kind: str, credential_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    secret = get_definition(kind).credential(credential_type).secret_fields
    return {name: value for name, value in data.items() if name not in secret}


class CredentialStore:
    def __init__(
        self, database: Database, box: SecretBox | Callable[[], SecretBox] | None = None
    ) -> None:
        self.database = database
        self._box = box

    @property
    def box(self) -> SecretBox:
        """The box; a factory given instead (a key file to read) is called on first use."""
        if self._box is None:
            raise ConfigurationError("no secret key is configured for credentials")
        if not isinstance(self._box, SecretBox):
            self._box = self._box()
        return self._box

    async def create(
        self, *, name: str, kind: str, type: str, data: Mapping[str, Any] | None
    ) -> CredentialRecord:
        definition = get_definition(kind)
        clean = validate_secret(definition.kind, type, data)
        credential_id = str(uuid.uuid4())
        cleaned = _name(name)
        await self._refuse_taken(definition.kind, cleaned)
        try:
            row = await Credential.create(
                id=credential_id,
                name=cleaned,
                kind=definition.kind,
                type=type,
                sealed=self.box.encrypt(clean, credential_id=credential_id),
                public=json_text(_split(definition.kind, type, clean), "data"),
                fields_set=sorted(clean),
            )
        except IntegrityError:
            raise _taken(definition.kind, cleaned) from None
        return _record(row)

    async def free_name(self, kind: str, wanted: str) -> str:
        """``wanted``, or ``wanted (2)``, ``wanted (3)``... whichever no credential of
        ``kind`` has (for names the server makes up)."""
        base = _name(wanted)[:240]
        rows = await Credential.filter(kind=kind, name__startswith=base).values_list(
            "name", flat=True
        )
        taken = {str(name) for name in rows}
        if base not in taken:
            return base
        number = 2
        while f"{base} ({number})" in taken:
            number += 1
        return f"{base} ({number})"

    async def _refuse_taken(self, kind: str, name: str, but: str | None = None) -> None:
        query = Credential.filter(kind=kind, name=name)
        if but is not None:
            query = query.exclude(id=but)
        if await query.exists():
            raise _taken(kind, name)

    async def update(
        self,
        credential_id: str,
        *,
        name: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> CredentialRecord:
        """Rename and/or change fields: given fields replace, ``None`` values remove."""
        row = await self._row(credential_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _name(name)
            await self._refuse_taken(row.kind, values["name"], but=row.id)
        if data is not None:
            merged = self.box.decrypt(row.sealed, credential_id=row.id)
            for key, value in data.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            clean = validate_secret(row.kind, row.type, merged)
            values["sealed"] = self.box.encrypt(clean, credential_id=row.id)
            values["public"] = json_text(_split(row.kind, row.type, clean), "data")
            values["fields_set"] = sorted(clean)
        if values:
            values["updated_at"] = datetime.now(UTC)
            try:
                await Credential.filter(id=row.id).update(**values)
            except IntegrityError:
                raise _taken(row.kind, values["name"]) from None
            row = await self._row(credential_id)
        return _record(row)

    async def delete(self, credential_id: str) -> CredentialRecord:
        record = _record(await self._row(credential_id))
        await Credential.filter(id=credential_id).delete()
        return record

    async def _row(self, credential_id: str) -> Credential:
        row = None
        if usable(credential_id, 36):
            row = await Credential.get_or_none(id=credential_id)
        if row is None:
            raise NotFound(f"no credential with id {credential_id}", id=credential_id)
        return row

    async def get(self, credential_id: str) -> CredentialRecord | None:
        if not usable(credential_id, 36):
            return None
        row = await Credential.get_or_none(id=credential_id)
        return None if row is None else _record(row)

    async def require(self, credential_id: str) -> CredentialRecord:
        return _record(await self._row(credential_id))

    async def get_many(self, credential_ids: Sequence[str]) -> dict[str, CredentialRecord]:
        rows = await Credential.filter(id__in=usable_all(set(credential_ids), 36))
        return {row.id: _record(row) for row in rows}

    async def all(self, kinds: Sequence[str] = ()) -> list[CredentialRecord]:
        rows = Credential.all()
        if kinds:
            rows = rows.filter(kind__in=usable_all(kinds, 32))
        return [_record(row) for row in await rows.order_by("name", "id")]

    async def secret(self, credential_id: str) -> tuple[CredentialRecord, dict[str, Any]]:
        """A credential and its opened data; the caller must not show or log the data."""
        row = await self._row(credential_id)
        return _record(row), self.box.decrypt(row.sealed, credential_id=row.id)

    async def rotate(self, old: SecretBox, new: SecretBox) -> int:
        """Re-seal every credential under ``new``'s primary key, in one transaction.

        Every secret is opened with ``old`` before anything is written, so a credential
        that does not open leaves the whole table as it was.
        """
        async with self.database.transaction() as conn:
            rows = await Credential.all().using_db(conn)
            resealed = [
                (
                    row.id,
                    new.encrypt(
                        old.decrypt(row.sealed, credential_id=row.id), credential_id=row.id
                    ),
                )
                for row in rows
            ]
            for credential_id, sealed in resealed:
                await Credential.filter(id=credential_id).using_db(conn).update(sealed=sealed)
        return len(resealed)
