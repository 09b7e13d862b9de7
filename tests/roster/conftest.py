"""The roster tests run on both gateway storage engines (tests/sync/backends.py)."""

from tests.sync.backends import backend, gateway_store  # noqa: F401 (fixtures)
