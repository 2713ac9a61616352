"""How far the store writer has applied the operations stream.

Owns ``stream_cursors`` (per consumer: the last stream sequence whose operations
are all committed and their events published, which incarnation of the stream it
belongs to, and how far a batch being applied reaches) and
``stream_producers`` (per cluster: the lease epoch and batch number of the last
message applied from its holder). A writer that takes over resumes from the
cursor; messages at or below a producer's position are replays and are skipped,
and messages from an older epoch come from a former holder and are ignored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from graphql_server.store.database import Database
from graphql_server.store.dialect import placeholders


@dataclass(frozen=True, slots=True)
class Cursor:
    seq: int
    created: str  # when the stream was created: a different value means a new stream
    pending: int = 0  # a batch up to here was being applied, its events maybe unpublished


@dataclass(frozen=True, slots=True)
class ProducerPosition:
    epoch: int
    batch: int
    producer: str

    def covers(self, epoch: int, batch: int) -> bool:
        """True when a message (epoch, batch) was applied already, or was fenced off."""
        return epoch < self.epoch or (epoch == self.epoch and batch <= self.batch)


class StreamPositions:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def cursor(self, name: str) -> Cursor | None:
        mark = placeholders(self.database.dialect, 1)[0]
        _, rows = await self.database.connection().execute_query(
            f"SELECT seq, stream_created, pending FROM stream_cursors WHERE name = {mark}", [name]
        )
        if not rows:
            return None
        row = rows[0]
        return Cursor(int(row["seq"]), str(row["stream_created"]), int(row["pending"]))

    async def mark_pending(self, name: str, cursor: Cursor) -> None:
        """Before applying a batch: if this writer dies before ``save``, its successor
        knows the batch's events may not have been published."""
        marks = placeholders(self.database.dialect, 5)
        await self.database.connection().execute_query(
            "INSERT INTO stream_cursors (name, seq, stream_created, pending, updated_at) "
            f"VALUES ({', '.join(marks)}) ON CONFLICT (name) DO UPDATE SET "
            "pending = excluded.pending, updated_at = excluded.updated_at",
            [name, cursor.seq, cursor.created, cursor.pending, int(time.time())],
        )

    async def producers(self) -> dict[str, ProducerPosition]:
        _, rows = await self.database.connection().execute_query(
            "SELECT cluster_id, epoch, batch, producer FROM stream_producers"
        )
        return {
            str(r["cluster_id"]): ProducerPosition(int(r["epoch"]), int(r["batch"]), r["producer"])
            for r in rows
        }

    async def save(self, name: str, cursor: Cursor, producers: dict[str, ProducerPosition]) -> None:
        """Record the cursor and the producers' positions together."""
        dialect = self.database.dialect
        now = int(time.time())
        cursor_sql = (
            "INSERT INTO stream_cursors (name, seq, stream_created, pending, updated_at) "
            f"VALUES ({', '.join(placeholders(dialect, 5))}) ON CONFLICT (name) DO UPDATE SET "
            "seq = excluded.seq, stream_created = excluded.stream_created, "
            "pending = excluded.pending, updated_at = excluded.updated_at"
        )
        producer_sql = (
            "INSERT INTO stream_producers (cluster_id, epoch, batch, producer, updated_at) "
            f"VALUES ({', '.join(placeholders(dialect, 5))}) ON CONFLICT (cluster_id) DO UPDATE "
            "SET epoch = excluded.epoch, batch = excluded.batch, producer = excluded.producer, "
            "updated_at = excluded.updated_at"
        )
        async with self.database.transaction() as conn:
            await conn.execute_query(
                cursor_sql, [name, cursor.seq, cursor.created, cursor.pending, now]
            )
            if producers:
                await conn.execute_many(
                    producer_sql,
                    [
                        [cluster_id, p.epoch, p.batch, p.producer, now]
                        for cluster_id, p in producers.items()
                    ],
                )

    async def forget_producer(self, cluster_id: str) -> None:
        mark = placeholders(self.database.dialect, 1)[0]
        await self.database.connection().execute_query(
            f"DELETE FROM stream_producers WHERE cluster_id = {mark}", [cluster_id]
        )
