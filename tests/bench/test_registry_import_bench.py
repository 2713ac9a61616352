"""The registry import benchmark measures an import into the database it is given, and
leaves that database as it found it, so that running it again measures the same."""

from __future__ import annotations

import argparse

import pytest

from bench import registry_import_bench as bench
from graphql_server.store import Store


def _args(url: str) -> argparse.Namespace:
    return argparse.Namespace(models=3, components=12, resources=200, database_url=url)


def _figure(output: str, name: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(name))
    return line[len(name) :].split()[0]


async def test_two_runs_on_one_database_import_the_whole_catalogue_each(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        await bench.main(_args(database_url))
        output = capsys.readouterr().out
        assert _figure(output, "models imported") == "3", output
        store = await Store.open(database_url)
        try:
            assert await store.registry.documents() == [], "the catalogue is removed"
        finally:
            await store.close()


async def test_a_database_holding_imported_models_is_refused(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await Store.open(database_url)
    try:
        document = {"schemaVersion": "registry.graphql-server/v1", "name": "kept"}
        await store.registry.save("kept", "1.0.0", document | {"version": "1.0.0"}, "x.json")
    finally:
        await store.close()
    assert await bench.main(_args(database_url)) == 2
    assert "already holds imported models" in capsys.readouterr().out
    store = await Store.open(database_url)
    try:
        assert len(await store.registry.documents()) == 1, "what was there stays"
    finally:
        await store.close()
