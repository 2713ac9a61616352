"""Connection definitions: what each kind of connection is and which credentials it takes.

One :class:`ConnectionDefinition` per kind (``kubernetes``, ``prometheus``,
``grafana``) gives its type and sub-type, default port and protocol, the registry
component it corresponds to, the credential definitions it accepts and its
registration fields, all as JSON Schema a UI can render as forms. Secret fields carry
``"writeOnly": true`` (and ``"format": "password"`` for one-line values).

This module owns validating and redacting credential data. It does no I/O and must
never put a secret value into an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from graphql_server.connectivity.validation import validate
from graphql_server.errors import BadInput

__all__ = [
    "DEFINITIONS",
    "MASK",
    "ConnectionDefinition",
    "CredentialDefinition",
    "get_definition",
    "redact_secret",
    "validate_registration",
    "validate_secret",
]

MASK = "********"
_HEADER_SAFE = r"^[\x21-\x7e]+$"
_METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"


def _secret(title: str, description: str = "", *, multiline: bool = False) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "string", "title": title, "writeOnly": True, "minLength": 1}
    if description:
        prop["description"] = description
    if not multiline:
        prop["format"] = "password"
    return prop


def _object(properties: dict[str, Any], required: list[str], title: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_USERNAME = {"type": "string", "title": "Username", "minLength": 1, "pattern": r"^[^:\r\n]+$"}
_PASSWORD = _secret("Password") | {"pattern": r"^[^\r\n]+$"}
_TOKEN = _secret("Token") | {"pattern": _HEADER_SAFE}


@dataclass(frozen=True, slots=True)
class CredentialDefinition:
    """One way to authenticate to a kind of connection, e.g. Prometheus ``basic``."""

    type: str
    title: str
    schema: Mapping[str, Any]

    @property
    def secret_fields(self) -> frozenset[str]:
        props: Mapping[str, Mapping[str, Any]] = self.schema.get("properties", {})
        return frozenset(name for name, prop in props.items() if prop.get("writeOnly"))


@dataclass(frozen=True, slots=True)
class ConnectionDefinition:
    kind: str
    title: str
    type: str
    sub_type: str
    default_port: int
    default_protocol: str
    model: str
    component_kind: str
    credentials: Mapping[str, CredentialDefinition]
    registration_schema: Mapping[str, Any] = field(
        default_factory=lambda: _object({}, [], "Registration")
    )

    def credential(self, credential_type: str) -> CredentialDefinition:
        found = self.credentials.get(credential_type)
        if found is None:
            accepted = ", ".join(self.credentials)
            raise BadInput(
                f"{self.kind} connections accept credential types {accepted}, "
                f"not {credential_type!r}",
                field="credentialType",
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description for clients that render forms."""
        return {
            "kind": self.kind,
            "title": self.title,
            "type": self.type,
            "subType": self.sub_type,
            "defaultPort": self.default_port,
            "defaultProtocol": self.default_protocol,
            "model": self.model,
            "componentKind": self.component_kind,
            "credentials": [
                {"type": c.type, "title": c.title, "schema": c.schema}
                for c in self.credentials.values()
            ],
            "registrationSchema": self.registration_schema,
        }


def _credentials(*items: CredentialDefinition) -> Mapping[str, CredentialDefinition]:
    return MappingProxyType({item.type: item for item in items})


_KUBERNETES = ConnectionDefinition(
    kind="kubernetes",
    title="Kubernetes",
    type="platform",
    sub_type="orchestration",
    default_port=6443,
    default_protocol="https",
    model="kubernetes",
    component_kind="Cluster",
    credentials=_credentials(
        CredentialDefinition(
            "kubeconfig",
            "Kubeconfig",
            _object(
                {
                    "kubeconfig": _secret(
                        "Kubeconfig",
                        "Contents of the kubeconfig file (YAML or JSON).",
                        multiline=True,
                    ),
                    "context": {
                        "type": "string",
                        "title": "Context",
                        "description": "Context to use; the file's current context if omitted.",
                        "minLength": 1,
                    },
                },
                ["kubeconfig"],
                "Kubeconfig",
            ),
        ),
        CredentialDefinition(
            "token",
            "Bearer token",
            _object(
                {
                    "server": {"type": "string", "title": "API server URL", "format": "uri"},
                    "token": _TOKEN,
                    "certificateAuthorityData": {
                        "type": "string",
                        "title": "Certificate authority",
                        "description": "Base64-encoded PEM of the CA that signed the server.",
                        "minLength": 1,
                    },
                    "insecureSkipTlsVerify": {
                        "type": "boolean",
                        "title": "Skip TLS verification",
                        "default": False,
                    },
                },
                ["token"],
                "Bearer token",
            ),
        ),
    ),
)

_PROMETHEUS = ConnectionDefinition(
    kind="prometheus",
    title="Prometheus",
    type="observability",
    sub_type="monitoring",
    default_port=9090,
    default_protocol="http",
    model="prometheus",
    component_kind="Prometheus",
    credentials=_credentials(
        CredentialDefinition("none", "No authentication", _object({}, [], "No authentication")),
        CredentialDefinition(
            "basic",
            "Basic authentication",
            _object(
                {"username": _USERNAME, "password": _PASSWORD}, ["username", "password"], "Basic"
            ),
        ),
        CredentialDefinition(
            "bearer", "Bearer token", _object({"token": _TOKEN}, ["token"], "Bearer token")
        ),
    ),
    registration_schema=_object(
        {
            "metrics": {
                "type": "array",
                "title": "Metrics to listen to",
                "items": {"type": "string", "pattern": _METRIC_NAME, "maxLength": 200},
                "uniqueItems": True,
                "maxItems": 500,
                "default": [],
            }
        },
        [],
        "Prometheus registration",
    ),
)

_GRAFANA = ConnectionDefinition(
    kind="grafana",
    title="Grafana",
    type="observability",
    sub_type="dashboards",
    default_port=3000,
    default_protocol="http",
    model="grafana",
    component_kind="Grafana",
    credentials=_credentials(
        CredentialDefinition(
            "api_token",
            "API or service account token",
            _object({"token": _TOKEN}, ["token"], "API token"),
        ),
        CredentialDefinition(
            "basic",
            "Basic authentication",
            _object(
                {"username": _USERNAME, "password": _PASSWORD}, ["username", "password"], "Basic"
            ),
        ),
    ),
)

DEFINITIONS: Mapping[str, ConnectionDefinition] = MappingProxyType(
    {d.kind: d for d in (_KUBERNETES, _PROMETHEUS, _GRAFANA)}
)


def get_definition(kind: str) -> ConnectionDefinition:
    found = DEFINITIONS.get(kind.strip().lower())
    if found is None:
        raise BadInput(
            f"unknown connection kind {kind!r}; expected one of {', '.join(DEFINITIONS)}",
            field="kind",
        )
    return found


def validate_secret(
    kind: str, credential_type: str, data: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Check credential data against its definition; return it normalised with defaults."""
    definition = get_definition(kind)
    credential = definition.credential(credential_type)
    context = f"{definition.kind} {credential.type} credential"
    return validate({} if data is None else data, credential.schema, context=context)


def validate_registration(kind: str, data: Mapping[str, Any] | None) -> dict[str, Any]:
    definition = get_definition(kind)
    context = f"{definition.kind} registration"
    return validate({} if data is None else data, definition.registration_schema, context=context)


def redact_secret(kind: str, credential_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of credential data with every secret field replaced by ``MASK``."""
    secret = get_definition(kind).credential(credential_type).secret_fields
    return {name: MASK if name in secret else value for name, value in data.items()}
