"""Fixtures of the sync tests: one real gateway (uvicorn thread) per module and engine, station
stores per test. Every gateway runs on both storage engines (tests/sync/backends.py): SQLite
and PostgreSQL, a fresh database on the session's throwaway cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync import backends
from tests.sync.backends import Backend
from tests.sync.helpers import RunningGateway

backend = backends.backend
module_backend = backends.module_backend
gateway_store = backends.gateway_store
two_workers = backends.two_workers


@pytest.fixture(scope="module")
def gateway(module_backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    yield module_backend.start(tmp_path_factory.mktemp("gw"))


@pytest.fixture
def fresh_gateway(backend: Backend, tmp_path: Path) -> Iterator[RunningGateway]:
    yield backend.start(tmp_path / "gw")
