"""Label selector parsing and matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphql_server.errors import BadInput
from graphql_server.labels import Operator, parse_selector

LABELS = {"app": "web", "tier": "front", "app.kubernetes.io/name": "shop"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app!=web", False),
        ("app in (db, web)", True),
        ("app notin (db,web)", False),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("missing!=x", True),
        ("app=web,tier=back", False),
        ("app.kubernetes.io/name=shop", True),
    ],
)
def test_matching(selector: str, expected: bool) -> None:
    assert parse_selector(selector).matches(LABELS) is expected


def test_parsed_shape() -> None:
    (req,) = parse_selector("env in (prod, dev)").requirements
    assert (req.key, req.operator, req.values) == ("env", Operator.IN, ("prod", "dev"))


@pytest.mark.parametrize("bad", ["=x", "app=(", "app in x", "a b", "app=web,,", "a in (b c)"])
def test_invalid_selectors(bad: str) -> None:
    with pytest.raises(BadInput):
        parse_selector(bad)


@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_is_bad_input(text: str) -> None:
    try:
        selector = parse_selector(text)
    except BadInput:
        return
    selector.matches(LABELS)
