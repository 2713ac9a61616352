"""The committed SDL is the schema the code builds."""

from pathlib import Path

from graphql_server.api.schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "schema/schema.graphql is out of date: run `graphql-server export-schema`"
    )
