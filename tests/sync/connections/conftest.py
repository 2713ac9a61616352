"""The connection tests' fixtures (a simulated cluster with a bearer token, a server
running the sync), shared rather than copied."""

from tests.connections.conftest import simulated, sync_server  # noqa: F401 - fixtures
