"""SQLite's trigram index of resource names, and how a name search narrows through it.

A name search (``name LIKE '%text%'``) reads every name; migration 0011 keeps an
FTS5 table of the names (``trigram`` tokenizer, external content: the names stay in
``resources``, the FTS table holds only the index) current by triggers, and a search
with a run of :data:`TRIGRAM` or more characters reads the rowids the index gives
for it, unless the text is so common (more than :data:`SPARSE` names) that reading the
name index in order finds a page sooner, and counting every name costs less than
looking up each match (a probe of the index decides, remembered for
:data:`PROBE_SECONDS`). The index is a superset, never the answer: FTS5's ``LIKE`` takes no
``ESCAPE``, so ``%`` in the text is asked as ``_`` (any one character) and ``_``
stays a wildcard, and it folds case beyond ASCII; the search's own ``LIKE ...
ESCAPE`` is still applied to what it gives, so results are exactly those of the
plain search. Where FTS5 or its trigram tokenizer is missing, or while a first load
has its triggers set aside (``store.bulk_load``), searches read every name as before.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from typing import Any

from graphql_server.store.dialect import Params

log = logging.getLogger(__name__)

NAMES = "resource_names"  # the FTS5 table (migration 0011)
TRIGGERS = (f"{NAMES}_insert", f"{NAMES}_delete", f"{NAMES}_rename")  # what keeps it current
# A literal run this long gives a trigram index (either database's) something to look up.
TRIGRAM = 3
# Filled from every name at once. In rowid order: FTS5's own ``'rebuild'`` reads the
# names through the name index, out of rowid order, and writes a segment at each step
# back (300,000 names: 7.7 s against 1.2 s).
REFILL = (
    f"INSERT INTO {NAMES} ({NAMES}) VALUES ('delete-all')",
    f"INSERT INTO {NAMES} (rowid, name) SELECT id, name FROM resources ORDER BY id",
)
SPARSE = 2000  # names containing the text, up to which the index is the faster way
PROBE_SECONDS = 10.0  # how long a probe's answer is taken as still true
PROBES_KEPT = 256  # texts whose answers are remembered
_WILDCARDS = re.compile(r"[%_]")


def indexed(text: str) -> bool:
    """Whether the index can narrow a search for ``text``: some run of
    :data:`TRIGRAM` characters without a LIKE wildcard (otherwise FTS5 would scan)."""
    return any(len(run) >= TRIGRAM for run in _WILDCARDS.split(text))


def names_pattern(text: str) -> str:
    """The FTS5 ``LIKE`` pattern (no ``ESCAPE``) matching at least what the search does."""
    return f"%{text.replace('%', '_')}%"


def narrowing(params: Params, text: str) -> str:
    """A predicate on ``resources.id`` keeping the rows whose names may contain ``text``."""
    return f"id IN (SELECT rowid FROM {NAMES} WHERE name LIKE {params(names_pattern(text))})"


async def usable(connection: Any) -> bool:
    """Whether the index exists, this SQLite can read it, and its triggers are in place."""
    try:
        _, tables = await connection.execute_query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [NAMES]
        )
        if not tables:
            return False
        await connection.execute_query(f"SELECT rowid FROM {NAMES} WHERE name LIKE 'abc' LIMIT 0")
        _, aside = await connection.execute_query(
            "SELECT 1 FROM deferred_indexes WHERE name LIKE ?", [f"{NAMES}%"]
        )
    except Exception as exc:  # no FTS5 here: the index cannot be read
        log.warning("name searches read every name: cannot read %s (%s)", NAMES, exc)
        return False
    return not aside


class Probes:
    """Whether few enough names contain a text for the index to pay (:data:`SPARSE`).

    Asked of the index itself, reading at most :data:`SPARSE` + 1 of its matches;
    answers are remembered a short while, so a page and its total ask once. The
    answer only chooses the faster way: both give the same rows.
    """

    def __init__(self) -> None:
        self._answers: OrderedDict[str, tuple[float, bool]] = OrderedDict()

    async def sparse(self, connection: Any, text: str) -> bool:
        now = time.monotonic()
        known = self._answers.get(text)
        if known is not None and now - known[0] < PROBE_SECONDS:
            return known[1]
        _, rows = await connection.execute_query(
            f"SELECT COUNT(*) AS n FROM (SELECT rowid FROM {NAMES} WHERE name LIKE ? "
            f"LIMIT {SPARSE + 1})",
            [names_pattern(text)],
        )
        answer = int(rows[0]["n"]) <= SPARSE
        self._answers[text] = (now, answer)
        self._answers.move_to_end(text)
        while len(self._answers) > PROBES_KEPT:
            self._answers.popitem(last=False)
        return answer
