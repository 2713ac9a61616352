"""The tools the tests drive are required in CI: a missing one fails there, never skips."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import tests.conftest as shared
from tests.conftest import installed_kubectl


def test_a_missing_kubectl_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shared, "KUBECTL_DIR", tmp_path)
    monkeypatch.setattr(shared, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match=r"kubectl 1\.33 is not installed"):
        installed_kubectl()


def test_a_missing_kubectl_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shared, "KUBECTL_DIR", tmp_path)
    monkeypatch.setattr(shared, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match=r"kubectl 1\.27 is not installed"):
        installed_kubectl("1.27")


def test_the_installed_kubectl_is_the_one_of_the_version_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = tmp_path / "kubectl.1.30"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(shared, "KUBECTL_DIR", tmp_path)
    monkeypatch.setattr(shared, "IN_CI", True)
    assert installed_kubectl("1.30") == binary
