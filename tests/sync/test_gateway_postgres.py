"""`cardstation gateway serve --database postgresql://...`: the real CLI and process over PostgreSQL.

An administrator registers a station with the CLI, the gateway process serves it from
PostgreSQL, the station enrols with its one-time code and uploads; after a SIGKILL of the
gateway and a restart, the station's retry neither loses nor doubles an envelope.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from offline.store import Store
from sync import keys
from sync.engine import SyncEngine
from sync.enrol import enrol
from tests.pg import fresh_database
from tests.sync.helpers import commit_apply, free_port, ssn_for, station_id_for


def cli(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cardstation.cli", *argv], capture_output=True, text=True, timeout=timeout
    )


class Served:
    def __init__(self, dsn: str, kek: Path, port: int = 0) -> None:
        self.port = port or free_port()
        argv = ["gateway", "serve", "--database", dsn, "--kek", str(kek), "--port", str(self.port), "--demo"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cardstation.cli", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.time() + 30
        while True:
            try:
                httpx.get(f"{self.url}/v1/ping", timeout=1)
                return
            except httpx.HTTPError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("gateway process did not start") from None
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)


@pytest.fixture
def database(postgres_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # Every process of the test (CLI, gateway) finds the same key-encryption key file.
    monkeypatch.setenv("CARDSTATION_GATEWAY_KEK_FILE", str(tmp_path / "gw.kek"))
    yield fresh_database(postgres_dsn)


def test_serve_database_postgresql_end_to_end_and_a_killed_gateway_loses_nothing(
    database: str, tmp_path: Path
) -> None:
    sid = station_id_for(301)
    reg = cli("gateway", "register-station", "--database", database, "--station-id", sid)
    assert reg.returncode == 0, reg.stderr
    token = reg.stdout.strip().splitlines()[-1]
    gw = Served(database, tmp_path / "gw.kek")
    try:
        store = Store.open(tmp_path / "st" / "station.db")
        with store.write() as conn:
            store.set_setting(conn, keys.S_STATION_ID, sid)
        enrol(store, gw.url, token)
        commit_apply(store, ssn_for(301))
        report = SyncEngine(store).run_once()
        assert (
            report.errors == [] and report.acked == 1 and report.downlink_seen >= 1
        )  # demo production came down too
        commit_apply(store, ssn_for(302))
        gw.stop(signal.SIGKILL)  # the gateway dies before the second upload
        gw = Served(database, tmp_path / "gw.kek", gw.port)  # the URL the station enrolled with
        assert SyncEngine(store).run_once().acked == 1
        assert SyncEngine(store).run_once().acked == 0  # nothing left, nothing sent twice
    finally:
        gw.stop()
    stats = cli("gateway", "stats", "--database", database)
    assert stats.returncode == 0, stats.stderr
    assert '"accepted": 2' in stats.stdout and "duplicate" not in stats.stdout
    n = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import psycopg; print(psycopg.connect({database!r}).execute("
            "'SELECT COUNT(*) FROM envelopes').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert n.stdout.strip() == "2"


def test_an_unreachable_database_is_a_chinese_message_not_a_traceback(tmp_path: Path) -> None:
    env_kek = {"CARDSTATION_GATEWAY_KEK_FILE": str(tmp_path / "gw.kek")}
    os.environ.update(env_kek)
    try:
        out = cli("gateway", "stats", "--database", "postgresql://nobody:secret@127.0.0.1:1/none")
    finally:
        os.environ.pop("CARDSTATION_GATEWAY_KEK_FILE", None)
    assert out.returncode != 0
    assert "连不上网关数据库" in out.stderr and "Traceback" not in out.stderr
    assert "secret" not in out.stderr  # the password is never printed
