"""Fixtures of the notification centre's tests: the real Prometheus servers of the
connectivity tests, shared rather than copied."""

from tests.connectivity.conftest import (  # noqa: F401 - fixtures
    prometheus,
    prometheus_basic,
    prometheus_pair,
)
