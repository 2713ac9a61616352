"""Input hygiene inside GraphQL documents, and what errors may reveal.

String literals holding NUL characters are refused at validation (variables are
checked when their JSON is decoded, ``api.transport.limits``), so no filter value
that a database refuses reaches it. With introspection off, error messages lose
their "Did you mean ...?" suggestions, which would otherwise spell out the schema.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class NoNulInStrings(ValidationRule):
    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError("strings may not contain NUL characters", node))


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)
