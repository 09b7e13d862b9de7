"""Both gateway storage engines for one test: SQLite (a file) and PostgreSQL (tests/pg.py).

`backend` is parametrised, so a test taking it (or `gateway_store`) runs once per engine; each
PostgreSQL gateway gets a fresh database on the session's throwaway cluster. `module_backend`
is the same per test module, for the fixtures that start one gateway (a thread or a process)
for a whole module: a PostgreSQL gateway costs a database, a pool and a process, so a module
shares it as it shared its SQLite file. Import the fixtures into a test module or conftest:
`from tests.sync.backends import backend, gateway_store`. The PostgreSQL cluster is the session
fixture `postgres_dsn` of tests/conftest.py: one cluster for the whole run.
Under CI=true PostgreSQL must start (tests/pg.py fails instead of skipping).

`GatewayTarget` is what a gateway is opened on: the SQLite file, or the PostgreSQL URL plus the
key file of its key-encryption key. `env` hands that key file to a CLI subprocess
(`cardstation gateway import-bundle --db URL ...`), which otherwise would use the user's default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cardstation.demo_setup import Gateway as DemoGateway
from sync.gateway.db import GatewayStore
from sync.gateway.pgdb import open_gateway_db
from tests.pg import fresh_database
from tests.sync.helpers import RunningGateway, kek_env, start_gateway

__all__ = [
    "BACKENDS",
    "Backend",
    "GatewayTarget",
    "backend",
    "gateway_store",
    "module_backend",
    "two_workers",
]

BACKENDS = ["sqlite", "postgresql"]


@dataclass(frozen=True)
class GatewayTarget:
    """Where one gateway keeps its store: `db` (file or URL) and, on PostgreSQL, `kek` (key file stem)."""

    db: Path | str
    kek: Path | None = None

    @property
    def postgres(self) -> bool:
        return isinstance(self.db, str)

    @property
    def env(self) -> dict[str, str]:
        """Environment for a CLI subprocess on this store: the same key-encryption key file."""
        return kek_env(self.kek)

    def open(self) -> GatewayStore:
        db: GatewayStore = open_gateway_db(self.db, kek_path=self.kek)
        return db


class Backend:
    """Starts gateways and opens stores on one engine; closes what it opened."""

    def __init__(self, name: str, dsn: str = "") -> None:
        self.name = name
        self.dsn = dsn
        self._opened: list[GatewayStore] = []
        self._running: list[RunningGateway] = []
        self._demo: list[DemoGateway] = []

    def target(self, folder: Path) -> GatewayTarget:
        """A new, empty gateway store's target in `folder` (a fresh database on PostgreSQL)."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.name == "sqlite":
            return GatewayTarget(folder / "gw.db")
        return GatewayTarget(fresh_database(self.dsn), folder / "gateway")

    def store(self, folder: Path) -> GatewayStore:
        db = self.target(folder).open()
        self._opened.append(db)
        return db

    def start(self, folder: Path, **kw: Any) -> RunningGateway:
        target = self.target(folder)
        gw = start_gateway(target.db, kek_path=target.kek, **kw)
        self._running.append(gw)
        return gw

    def demo_gateway(self, folder: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> DemoGateway:
        """The demo's gateway process (`cardstation.demo_setup.Gateway`) on this engine, not started.

        With `monkeypatch`, the test's environment names the gateway's key file, so the
        `cardstation gateway ...` subprocesses a test runs itself open the same store.
        """
        gw = DemoGateway(self.target(folder).db, folder=folder)
        for name, value in gw.kek_env.items():
            if monkeypatch is not None:
                monkeypatch.setenv(name, value)
        self._demo.append(gw)
        return gw

    def close(self) -> None:
        for demo in self._demo:
            demo.stop()
        for gw in self._running:
            gw.server.stop()
            gw.gateway.db.close()
        for db in self._opened:
            db.close()


def _backend(request: pytest.FixtureRequest) -> Backend:
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgresql" else ""
    return Backend(request.param, dsn)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    b = _backend(request)
    yield b
    b.close()


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """One engine for a whole test module (the module's shared gateway lives on it)."""
    b = _backend(request)
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
