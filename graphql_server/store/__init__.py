"""Persistence: the only package that talks to the database (through tortoise-orm)."""

from __future__ import annotations

from graphql_server.store.clusters import ClusterStore
from graphql_server.store.database import Database
from graphql_server.store.resources import ResourceStore


class Store:
    """The process's stores over one open database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.resources = ResourceStore(database)
        self.clusters = ClusterStore(database)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        database = Database(url)
        await database.open(migrate=migrate)
        return cls(database)

    async def close(self) -> None:
        await self.database.close()


__all__ = ["ClusterStore", "Database", "ResourceStore", "Store"]
