"""What the caller may do, so that a client can hide what it would be refused."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_server.api.auth import Access
from graphql_server.api.context import Info


@strawberry.enum(description="What the caller's token grants.")
class AccessLevel(StrEnum):
    FULL = "FULL"
    READ = "READ"


@strawberry.type
class AccessQuery:
    @strawberry.field(
        description="What the caller's token grants: FULL (mutations too) or READ (no mutations)."
    )
    def access(self, info: Info) -> AccessLevel:
        return AccessLevel.READ if info.context.access is Access.READ else AccessLevel.FULL
