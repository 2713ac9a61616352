"""The store's one grouping-and-chunking rule for multi-row statements."""

from __future__ import annotations

import pytest

from graphql_server.store.chunking import LOOKUP_CHUNK, grouped_chunks


def test_groups_keep_order_and_never_exceed_the_chunk() -> None:
    keys = [("a", f"u{i}") for i in range(1201)] + [("b", "x"), ("a", "last")]
    chunks = list(grouped_chunks(keys))
    assert [(group, len(uids)) for group, uids in chunks] == [
        ("a", LOOKUP_CHUNK),
        ("a", LOOKUP_CHUNK),
        ("a", 202),
        ("b", 1),
    ]
    assert chunks[0][1][0] == "u0"
    assert chunks[2][1][-1] == "last"


def test_groups_may_be_tuples() -> None:
    keys = [(("c", "ns"), "1"), (("c", ""), "2"), (("c", "ns"), "3")]
    assert list(grouped_chunks(keys, size=1)) == [
        (("c", "ns"), ["1"]),
        (("c", "ns"), ["3"]),
        (("c", ""), ["2"]),
    ]


def test_a_chunk_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        list(grouped_chunks([("a", "1")], size=0))
