"""Paging shared by every domain of the schema: the ``PageInfo`` of a cursor page.

Holds no domain type and reads nothing; each domain builds its own edges and pages.
"""

from __future__ import annotations

import strawberry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
