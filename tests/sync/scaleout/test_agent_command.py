"""The ``agent`` command and the scale-out settings: what is refused before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphql_server.broker.nats import NatsBroker
from graphql_server.cli import main
from graphql_server.components import serve_broker
from graphql_server.errors import ConfigurationError
from graphql_server.settings import Settings
from graphql_server.simulator import kubeconfig_dict


def test_the_agent_needs_nats_and_a_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KUBERNETES_SERVICE_HOST", "GRAPHQL_SERVER_NATS_URL", "GRAPHQL_SERVER_KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert main(["agent", "--nats-url", "nats://127.0.0.1:1"]) == 2
    assert "no cluster to watch" in capsys.readouterr().err
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps(kubeconfig_dict("https://127.0.0.1:1", "sim")))
    assert main(["agent", "--kubeconfig", str(kubeconfig)]) == 2
    assert "--nats-url" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"GRAPHQL_SERVER_LEASE_TTL": "0.5"}, "lease TTL"),
        ({"GRAPHQL_SERVER_NATS_PREFIX": "a.b"}, "NATS prefix"),
        ({"GRAPHQL_SERVER_NATS_OUTBOX_MB": "0"}, "nats outbox mb"),
        ({"GRAPHQL_SERVER_NATS_EVENT_RETENTION": "-1"}, "nats event retention"),
    ],
)
def test_scale_out_settings_are_checked(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        Settings.from_environ(env)


def test_serve_uses_nats_only_when_asked(tmp_path: Path) -> None:
    assert serve_broker(Settings(data_dir=tmp_path)) is None
    settings = Settings(data_dir=tmp_path, nats_url="nats://user:pw@127.0.0.1:4222", lease_ttl=3)
    broker = serve_broker(settings)
    assert isinstance(broker, NatsBroker)
    assert broker.prefix == "gs"
    assert "pw" not in repr(settings)
