"""Both gateway storage engines for one test: SQLite (a file) and PostgreSQL (tests/pg.py).

`backend` is parametrised, so a test taking it (or `gateway_store`) runs once per engine; each
PostgreSQL gateway gets a fresh database on the session's throwaway cluster. Import the fixtures
into a test module: `from tests.sync.backends import backend, gateway_store, postgres_dsn`.
Under CI=true PostgreSQL must start (tests/pg.py fails instead of skipping).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.gateway.db import GatewayStore
from sync.gateway.pgdb import open_gateway_db
from tests.pg import fresh_database, postgres_dsn
from tests.sync.helpers import RunningGateway, start_gateway

__all__ = ["BACKENDS", "Backend", "backend", "gateway_store", "postgres_dsn", "two_workers"]

BACKENDS = ["sqlite", "postgresql"]


class Backend:
    """Starts gateways and opens stores on one engine; closes what it opened."""

    def __init__(self, name: str, dsn: str = "") -> None:
        self.name = name
        self.dsn = dsn
        self._opened: list[GatewayStore] = []
        self._running: list[RunningGateway] = []

    def target(self, folder: Path) -> tuple[Path | str, Path | None]:
        """(store target, key file path) for a new gateway store in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.name == "sqlite":
            return folder / "gw.db", None
        return fresh_database(self.dsn), folder / "gateway"

    def store(self, folder: Path) -> GatewayStore:
        target, kek = self.target(folder)
        db: GatewayStore = open_gateway_db(target, kek_path=kek)
        self._opened.append(db)
        return db

    def start(self, folder: Path, **kw: Any) -> RunningGateway:
        target, kek = self.target(folder)
        gw = start_gateway(target, kek_path=kek, **kw)
        self._running.append(gw)
        return gw

    def close(self) -> None:
        for gw in self._running:
            gw.server.stop()
            gw.gateway.db.close()
        for db in self._opened:
            db.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgresql" else ""
    b = Backend(request.param, dsn)
    yield b
    b.close()


@pytest.fixture
def gateway_store(backend: Backend) -> Callable[[Path], GatewayStore]:
    """`gateway_store(folder)`: a new, empty gateway store on this test's engine."""
    return backend.store


@pytest.fixture
def two_workers(postgres_dsn: str, tmp_path: Path) -> Iterator[tuple[RunningGateway, RunningGateway]]:
    """Two gateways (as two workers would be) over one fresh PostgreSQL database and one key file."""
    dsn = fresh_database(postgres_dsn)
    first = start_gateway(dsn, kek_path=tmp_path / "gateway")
    second = start_gateway(dsn, kek_path=tmp_path / "gateway")
    yield first, second
    for gw in (first, second):
        gw.server.stop()
        gw.gateway.db.close()
