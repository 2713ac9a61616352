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
        ({"GRAPHQL_SERVER_HEALTH_INTERVAL": "0"}, "health interval"),
        ({"GRAPHQL_SERVER_HEALTH_INTERVAL": "nan"}, "health interval"),
        ({"GRAPHQL_SERVER_HEALTH_FAILURES": "0"}, "health failures"),
    ],
)
def test_invalid_values_are_configuration_errors(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        Settings.from_environ(env)


def test_every_option_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [env for _flag, env, _default, _help in describe() if env not in readme]
    assert not missing, f"README configuration table lacks {missing}"


def test_health_settings_from_the_environment_and_flags() -> None:
    assert (Settings().health_interval, Settings().health_failures) == (60.0, 3)
    env = {"GRAPHQL_SERVER_HEALTH_INTERVAL": "2.5", "GRAPHQL_SERVER_HEALTH_FAILURES": "5"}
    settings = Settings.from_environ(env)
    assert (settings.health_interval, settings.health_failures) == (2.5, 5)
    flagged = Settings.from_environ(env, health_interval=0.5)
    assert (flagged.health_interval, flagged.health_failures) == (0.5, 5)
