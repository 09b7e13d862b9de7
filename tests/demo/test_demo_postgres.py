"""`cardstation demo --gateway-database postgresql://…`: the demo's gateway side on PostgreSQL.

The demo is run the way a person runs it (the CLI, `--no-tui` so no terminal is needed): its
gateway process serves from the PostgreSQL database, the demo area's roster is imported into
it, the station is registered for that area and enrolled, downloads the roster and uploads
its invented applicants. The database then holds what the station sent, every envelope
acknowledged; a second start reuses the same gateway store, and a start that names another
store than the one the station was enrolled with is refused in Chinese.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cardstation.demo_roster import DEMO_AREA, FEATURED
from offline import outbox
from offline.store import Store
from sync.gateway.db import GatewayStore
from sync.gateway.pgdb import open_gateway_db
from tests.pg import fresh_database

PERSONS = 6


def _demo(demo_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = ["demo", "--dir", str(demo_dir), "--persons", str(PERSONS), "--no-tui", *extra]
    return subprocess.run(
        [sys.executable, "-m", "cardstation.cli", *argv], capture_output=True, text=True, timeout=600
    )


def test_demo_gateway_runs_on_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    url = fresh_database(postgres_dsn)
    demo_dir = tmp_path / "demo"
    first = _demo(demo_dir, "--gateway-database", url)
    assert first.returncode == 0, first.stderr
    assert "演示就绪" in first.stdout and "Traceback" not in first.stderr
    assert "gw_" in first.stderr  # the demo says which gateway database it started on
    assert not (demo_dir / "gateway.db").exists()  # nothing went to the SQLite default

    db: GatewayStore = open_gateway_db(url, kek_path=demo_dir / "gateway-pg")
    try:
        (station,) = db.query("SELECT station_id FROM stations")
        sid = station["station_id"]
        holders = db.one("SELECT COUNT(*) AS n FROM holders")["n"]
        assert holders >= 3000 + len(FEATURED)  # the demo area's roster, imported on PostgreSQL
        area = [
            r["prefix"] for r in db.query("SELECT prefix FROM station_areas WHERE station_id = ?", (sid,))
        ]
        assert area == [DEMO_AREA]
        envelopes = db.one("SELECT COUNT(*) AS n FROM envelopes WHERE station_id = ?", (sid,))["n"]
        applications = db.one("SELECT COUNT(*) AS n FROM applications")["n"]
    finally:
        db.close()
    store = Store.open(demo_dir / "station.db")
    try:
        status = outbox.status(store)
        persons = store.one("SELECT COUNT(*) AS n FROM persons")
    finally:
        store.close()
    assert status.acked == envelopes > 0 and status.quarantined == 0  # every upload stored once
    assert applications >= PERSONS
    assert persons is not None and persons["n"] >= holders  # the roster reached the station

    again = _demo(demo_dir, "--gateway-database", url)  # the same store again: reused, not rebuilt
    assert again.returncode == 0, again.stderr
    other = _demo(demo_dir)  # the SQLite default now: the station belongs to the other gateway
    assert other.returncode == 1 and "另一个网关数据库" in other.stderr and "Traceback" not in other.stderr
    bad = _demo(tmp_path / "other", "--gateway-database", "mysql://x@127.0.0.1/db")
    assert bad.returncode == 2 and "PostgreSQL" in bad.stderr
