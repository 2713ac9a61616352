"""Settings: environment, flags, defaults and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphql_server.errors import ConfigurationError
from graphql_server.settings import Settings, describe


def test_defaults() -> None:
    settings = Settings.from_environ({"HOME": "/home/u"})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.effective_database_url({"HOME": "/home/u"}) == (
        "sqlite:///home/u/.local/share/graphql-server/inventory.sqlite3"
    )


def test_environment_then_flags() -> None:
    env = {
        "GRAPHQL_SERVER_PORT": "9000",
        "GRAPHQL_SERVER_DEMO": "yes",
        "GRAPHQL_SERVER_CONTEXTS": "a, b",
        "GRAPHQL_SERVER_DATA_DIR": "/srv/data",
    }
    settings = Settings.from_environ(env)
    assert (settings.port, settings.demo, settings.contexts) == (9000, True, ("a", "b"))
    assert settings.effective_database_url(env) == "sqlite:///srv/data/inventory.sqlite3"
    overridden = Settings.from_environ(env, port=9100, demo=None, contexts=["c"])
    assert (overridden.port, overridden.demo, overridden.contexts) == (9100, True, ("c",))
    assert isinstance(overridden.data_dir, Path)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"GRAPHQL_SERVER_PORT": "eighty"}, "GRAPHQL_SERVER_PORT"),
        ({"GRAPHQL_SERVER_PORT": "70000"}, "port"),
        ({"GRAPHQL_SERVER_DEMO": "maybe"}, "GRAPHQL_SERVER_DEMO"),
        ({"GRAPHQL_SERVER_DATABASE_URL": "mysql://x"}, "database URL"),
        ({"GRAPHQL_SERVER_LOG_FORMAT": "xml"}, "log format"),
    ],
)
def test_invalid_values_are_configuration_errors(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        Settings.from_environ(env)


def test_every_option_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [env for _flag, env, _default, _help in describe() if env not in readme]
    assert not missing, f"README configuration table lacks {missing}"
