"""Parsing with a shared LRU cache that still reports syntax errors as results.

strawberry's ``ParserCache`` parses in its ``on_parse`` hook, where a syntax
error (or a document over the token limit) escapes the operation and reaches
the client without an ``extensions.code``. This cache leaves such documents
to strawberry's own parse, which turns the error into a normal result that the
error presentation sees. Valid documents are parsed once and shared.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache


class ReportingParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # On a syntax error strawberry parses again and reports it as a result.
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield
