"""The floor of an initial sync, independent of the product's code.

Lists every resource type a simulated cluster serves (the types the server syncs:
all but events and leases) over raw HTTP with aiohttp, page by page as the server
does, parses each page with orjson, and inserts one row per object (the columns
the server keeps, JSON as text) into a fresh table with plain sqlite3 or asyncpg,
in batches of one page. What a sync cannot do faster than; the scale benchmark
compares the product's initial sync with it, measured in the same run.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

PAGE = 500
EXCLUDED = frozenset({"events", "events.events.k8s.io", "leases.coordination.k8s.io"})
COLUMNS = (
    "uid, api_version, kind, namespace, name, resource_version, labels, annotations, "
    "owner_references, spec, status, created_at"
)
TABLE = (
    "CREATE TABLE floor_resources (id BIGSERIAL PRIMARY KEY, uid TEXT UNIQUE, "
    "api_version TEXT, kind TEXT, namespace TEXT, name TEXT, resource_version TEXT, "
    "labels TEXT, annotations TEXT, owner_references TEXT, spec TEXT, status TEXT, "
    "created_at TEXT)"
)


async def _types(session: aiohttp.ClientSession, server: str) -> list[tuple[str, str, str]]:
    """(list path, type name, apiVersion) of every listable type."""
    groups: list[tuple[str, str]] = [("/api/v1", "v1")]
    async with session.get(f"{server}/apis") as response:
        for group in orjson.loads(await response.read())["groups"]:
            version = group["preferredVersion"]["groupVersion"]
            groups.append((f"/apis/{version}", version))
    found = []
    for path, version in groups:
        async with session.get(f"{server}{path}") as response:
            resources = orjson.loads(await response.read())["resources"]
        for resource in resources:
            group = version.rpartition("/")[0]
            name = f"{resource['name']}.{group}" if group else resource["name"]
            if "/" in resource["name"] or "list" not in resource.get("verbs", ()):
                continue
            if name not in EXCLUDED:
                found.append((f"{path}/{resource['name']}", name, version))
    return found


def _row(obj: dict[str, Any], api_version: str, kind: str) -> tuple[Any, ...]:
    meta = obj.get("metadata") or {}
    dumps = orjson.dumps
    return (
        meta.get("uid"),
        api_version,
        kind,
        meta.get("namespace", ""),
        meta.get("name"),
        meta.get("resourceVersion"),
        dumps(meta.get("labels") or {}).decode(),
        dumps(meta.get("annotations") or {}).decode(),
        dumps(meta.get("ownerReferences") or []).decode(),
        dumps(obj.get("spec")).decode(),
        dumps(obj.get("status")).decode(),
        meta.get("creationTimestamp"),
    )


async def floor_sync(server: str, database: str, workdir: Path) -> tuple[float, int]:
    """Seconds to list, parse and insert every object; and how many there were."""
    marks = ", ".join("?" for _ in range(12))
    pg_marks = ", ".join(f"${i}" for i in range(1, 13))
    started = time.perf_counter()
    rows = 0
    lite: sqlite3.Connection | None = None
    pg: asyncpg.Connection | None = None
    if database.startswith("sqlite"):
        lite = sqlite3.connect(workdir / "floor.sqlite3", isolation_level=None)
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=NORMAL")
        lite.execute(TABLE.replace("BIGSERIAL", "INTEGER"))
    else:
        pg = await asyncpg.connect(database)
        await pg.execute("DROP TABLE IF EXISTS floor_resources")
        await pg.execute(TABLE)
    try:
        async with aiohttp.ClientSession() as session:
            for path, _, version in await _types(session, server):
                token = ""
                while True:
                    query = {"limit": str(PAGE)} | ({"continue": token} if token else {})
                    async with session.get(f"{server}{path}", params=query) as response:
                        body = orjson.loads(await response.read())
                    kind = str(body.get("kind", "")).removesuffix("List")
                    batch = [_row(obj, version, kind) for obj in body.get("items") or ()]
                    if lite is not None:
                        lite.execute("BEGIN")
                        lite.executemany(
                            f"INSERT INTO floor_resources ({COLUMNS}) VALUES ({marks})", batch
                        )
                        lite.execute("COMMIT")
                    elif pg is not None and batch:
                        await pg.executemany(
                            f"INSERT INTO floor_resources ({COLUMNS}) VALUES ({pg_marks})", batch
                        )
                    rows += len(batch)
                    token = (body.get("metadata") or {}).get("continue") or ""
                    if not token:
                        break
    finally:
        if lite is not None:
            lite.close()
        if pg is not None:
            await pg.execute("DROP TABLE IF EXISTS floor_resources")
            await pg.close()
    return time.perf_counter() - started, rows
