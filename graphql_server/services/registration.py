"""Registering connections: a discovered one, or a kind plus URL, with a credential.

Owns the order of a registration: validate everything (kind, registration fields,
credential, environments), run the connectivity test of each target, then store: a new
secret becomes a credential, each connection lands in CONNECTED when reachable with
that credential and REGISTERED otherwise (with the test's outcome), and joins the
environments. A kubeconfig without a chosen context registers one Kubernetes connection
per context. Registering what is already known (same kind and URL, same context)
updates that connection instead of adding another. The probes run before any write;
the writes (credential, connections, environments, event log) commit in one
transaction, and their announcements and sync commands follow the commit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from graphql_server.connectivity import (
    ConnectivityResult,
    Reach,
    get_definition,
    validate_registration,
    validate_secret,
)
from graphql_server.connectivity.kubeconfig import context_names, target_from_credential
from graphql_server.connectivity.transport import normalize_url
from graphql_server.errors import BadInput, ConnectivityFailed
from graphql_server.lifecycle import ConnectionStatus, plan_transition
from graphql_server.services.connections import ConnectionService
from graphql_server.services.credentials import log_credential
from graphql_server.services.health import connected_health, operator_move
from graphql_server.services.metadata import user_metadata
from graphql_server.services.probing import (
    Secret,
    check_reach,
    probe,
    probe_stored,
    reach_of,
    stored_secret,
    test_log,
    test_summary,
)
from graphql_server.store.connections import Changes, ConnectionRecord
from graphql_server.store.credentials import CredentialRecord

MAX_CONTEXTS = 20


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A credential given with a registration, stored if the registration is."""

    type: str
    data: dict[str, Any]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """What to register: a discovered connection (``connection_id``) or a kind and URL,
    with a stored credential (``credential_id``) or a new one, and environments."""

    connection_id: str | None = None
    kind: str | None = None
    url: str | None = None
    name: str | None = None
    credential_id: str | None = None
    credential: NewCredential | None = None
    environment_ids: tuple[str, ...] = ()
    registration: dict[str, Any] | None = None
    require_connectivity: bool = False
    metadata: dict[str, Any] | None = None
    """User key-value pairs (``services.metadata``)."""
    reach: Reach | None = None
    """How a Prometheus or Grafana is reached; None keeps the connection's own (DIRECT
    when a ``url`` is given)."""


@dataclass(slots=True)
class Target:
    """One connection to register: where it is and what it was tested with."""

    existing: ConnectionRecord | None
    identity: str | None
    name: str
    url: str
    context: str | None
    secret: Secret | None
    result: ConnectivityResult | None = None
    registration: dict[str, Any] = field(default_factory=dict)
    reach: Reach = Reach.DIRECT


def _kept_registration(kind: str, existing: ConnectionRecord | None) -> dict[str, Any]:
    kept = existing.metadata.get("registration") if existing is not None else None
    return dict(kept) if isinstance(kept, dict) else validate_registration(kind, {})


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


async def _credential(
    actions: ConnectionService, kind: str, form: Registration
) -> tuple[Secret | None, CredentialRecord | None]:
    if form.credential_id is not None and form.credential is not None:
        raise BadInput("give a credential id or a new credential, not both", field="credential")
    if form.credential_id is not None:
        record, data = await actions.store.credentials.secret(form.credential_id)
        if record.kind != kind:
            raise BadInput(
                f"credential {record.name!r} is for {record.kind}, not {kind}",
                field="credentialId",
            )
        return (record.type, data), record
    if form.credential is not None:
        data = validate_secret(kind, form.credential.type, form.credential.data)
        return (form.credential.type, data), None
    return None, None


def _kubernetes_targets(
    form: Registration, existing: ConnectionRecord | None, secret: Secret | None
) -> list[Target]:
    if secret is None:
        if existing is None:
            raise BadInput("a Kubernetes connection needs a credential", field="credential")
        return [Target(existing, None, existing.name, existing.url, None, None)]
    credential_type, data = secret
    contexts: list[str | None] = [None]
    if credential_type == "kubeconfig":
        if data.get("context"):
            contexts = [str(data["context"])]
        elif existing is not None and existing.metadata.get("context"):
            contexts = [str(existing.metadata["context"])]
        else:
            contexts = [*context_names(str(data["kubeconfig"]))]
        if not contexts:
            raise BadInput("the kubeconfig has no context", field="credential")
        if len(contexts) > MAX_CONTEXTS:
            raise BadInput(f"the kubeconfig has more than {MAX_CONTEXTS} contexts")
    targets = []
    for context in contexts:
        with_context = {**data, "context": context} if context else dict(data)
        server = target_from_credential(credential_type, with_context, form.url or None).server
        name = form.name or (existing.name if existing else None) or context or _host(server)
        if len(contexts) > 1 and form.name:
            name = f"{form.name} ({context})"
        identity = f"kubernetes:{normalize_url(server, default_protocol='https')}#{context or ''}"
        targets.append(
            Target(existing, identity, name, server, context, (credential_type, with_context))
        )
    return targets


async def _targets(
    actions: ConnectionService,
    kind: str,
    form: Registration,
    existing: ConnectionRecord | None,
    secret: Secret | None,
) -> list[Target]:
    if kind == "kubernetes":
        targets = _kubernetes_targets(form, existing, secret)
    else:
        raw_url = form.url or (existing.url if existing else None)
        if not raw_url:
            raise BadInput(f"a {kind} connection needs a URL", field="url")
        url = normalize_url(raw_url, default_protocol=get_definition(kind).default_protocol)
        name = form.name or (existing.name if existing else _host(url))
        targets = [Target(existing, f"{kind}:{url}", name, url, None, secret)]
    for target in targets:
        if target.existing is None and target.identity is not None:
            target.existing = await actions.store.connections.by_identity(target.identity)
    return targets


async def _test(actions: ConnectionService, kind: str, target: Target) -> ConnectivityResult:
    if target.existing is not None:
        return await probe_stored(
            actions.store,
            target.existing,
            url=target.url,
            secret=target.secret,
            registration=target.registration,
            reach=target.reach,
        )
    return await probe(kind, url=target.url, secret=target.secret, registration=target.registration)


async def register(actions: ConnectionService, form: Registration) -> list[ConnectionRecord]:
    store = actions.store
    existing = None
    if form.connection_id is not None:
        existing = await store.connections.require(form.connection_id)
        if form.kind and get_definition(form.kind).kind != existing.kind:
            raise BadInput(f"connection {existing.name!r} is a {existing.kind} connection")
        kind = existing.kind
    elif form.kind:
        kind = get_definition(form.kind).kind
    else:
        raise BadInput("give a discovered connection's id, or a kind and URL", field="kind")
    given = None
    if form.registration is not None:
        given = validate_registration(kind, form.registration)
    labels = user_metadata(form.metadata) if form.metadata is not None else {}
    environments = await store.environments.require_many(list(form.environment_ids))
    secret, credential = await _credential(actions, kind, form)
    targets = await _targets(actions, kind, form, existing, secret)

    for target in targets:
        target.registration = given or _kept_registration(kind, target.existing)
        if kind != "kubernetes":
            # a URL given without a reach is where to go: directly
            kept = reach_of(target.existing) if target.existing and not form.url else None
            target.reach = form.reach or kept or Reach.DIRECT
        check_reach(target.existing, kind, form.reach or target.reach)
        if target.existing is not None and target.secret is None:
            target.secret = await stored_secret(store, target.existing)
    # One deadline for all: the contexts of a kubeconfig are tested at once.
    results = await asyncio.gather(*(_test(actions, kind, target) for target in targets))
    for target, result in zip(targets, results, strict=True):
        target.result = result
    failed = [t for t in targets if t.result is not None and not t.result.ok]
    if form.require_connectivity and failed:
        messages = "; ".join(t.result.message for t in failed if t.result)
        async with actions.atomic():
            for target in failed:
                await _log_refusal(actions, kind, target)
        raise ConnectivityFailed(f"registration refused: {messages}")

    async with actions.atomic():
        if credential is None and form.credential is not None and secret is not None:
            name = form.credential.name or await store.credentials.free_name(
                kind, f"{kind} {targets[0].name}"
            )
            credential = await store.credentials.create(
                name=name,
                kind=kind,
                type=secret[0],
                data=dict(secret[1]),
            )
            await log_credential(actions, credential, "created")
        records = []
        for target in targets:
            records.append(
                await _store(actions, kind, target, credential, target.registration, labels)
            )
        for environment in environments:
            if await store.environments.assign(environment.id, [r.id for r in records]):
                names = ", ".join(repr(r.name) for r in records)
                await actions.log(
                    category="environment",
                    subject_type="environment",
                    subject_id=environment.id,
                    subject_name=environment.name,
                    message=f"added {names} to {environment.name!r} at registration",
                    details={"connectionIds": [r.id for r in records]},
                )
    return records


async def _log_refusal(actions: ConnectionService, kind: str, target: Target) -> None:
    """A registration that ``requireConnectivity`` refused: nothing stored, but logged."""
    assert target.result is not None
    message = (
        f"registration of {kind} connection {target.name!r} refused: connectivity test "
        f"failed: {target.result.message}"
    )
    if target.existing is not None:
        await actions.log_connection(
            target.existing, "registration", message, severity="warning",
            details={"refused": True},
        )  # fmt: skip
        return
    await actions.log(
        category="registration",
        subject_type="endpoint",
        subject_id="",
        subject_name=target.url[:253],
        message=message,
        severity="warning",
        details={"refused": True, "kind": kind},
    )


async def _store(
    actions: ConnectionService,
    kind: str,
    target: Target,
    credential: CredentialRecord | None,
    registration: dict[str, Any],
    labels: dict[str, Any],
) -> ConnectionRecord:
    assert target.result is not None
    result = target.result
    metadata: dict[str, Any] = {
        **labels,
        "registration": registration,
        "lastTest": test_summary(result),
    }
    known = target.existing.metadata if target.existing is not None else {}
    metadata.update(operator_move(known))  # a registration is the operator's choice
    metadata.update(connected_health(known, result))
    if target.context:
        metadata["context"] = target.context
    if kind != "kubernetes":
        metadata["reach"] = target.reach.value
    definition = get_definition(kind)
    store = actions.store
    if target.existing is None:
        record = await store.connections.create(
            kind=kind,
            name=target.name,
            url=target.url,
            type=definition.type,
            sub_type=definition.sub_type,
            status=result.status,
            identity=target.identity,
            credential_id=credential.id if credential else None,
            metadata=metadata,
        )
        before = ConnectionStatus.DISCOVERED
        plan = plan_transition(before, record.status)
        await actions.announce("CREATED", record)
    else:
        changes = Changes(
            name=target.name if target.name != target.existing.name else None,
            url=target.url,
            credential_id=credential.id if credential else None,
            merge_metadata=metadata,
        )
        record, plan = await store.connections.transition(
            target.existing.id, result.status, changes
        )
        before = plan.source
        if not plan.changed:
            await actions.announce("UPDATED", record)
    await actions.log_test(record, result)
    await actions.log_connection(
        record,
        "registration",
        f"registered {kind} connection {record.name!r} as {record.status.name}: {result.message}",
        **test_log(result),
        details={"status": record.status.value},
    )
    if plan.changed:
        if target.existing is None:
            await actions.command_sync(record, plan)
        else:
            await actions.moved(before, record, plan)
    return record
