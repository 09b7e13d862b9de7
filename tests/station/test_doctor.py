"""`cardstation doctor` through the real CLI: a healthy station (pcscd + emulated card, a CUPS
queue, an enrolled store, a real gateway, calendar, backup) exits 0; each planted problem turns
exactly its check to a warning or an error, with a Chinese fix, and sets the exit status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.station import cups as cupslib
from tests.station.helpers import station_connection

pytestmark = pytest.mark.timeout(300)
SP = "43012100100100001"
STATION_ID = SP + "01"


class Station:
    def __init__(self, root: Path, gateway: Any, env: dict[str, str]) -> None:
        self.root, self.gateway, self.env = root, gateway, env
        self.db = root / "station" / "station.db"

    def cli(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cardstation.cli", "--db", str(self.db), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**self.env, **extra},
        )

    def doctor(self, **extra: str) -> tuple[int, dict[str, dict[str, str]]]:
        done = self.cli("doctor", "--json", **extra)
        assert "Traceback" not in done.stderr, done.stderr
        doc = json.loads(done.stdout)
        assert doc["exit"] == done.returncode
        return done.returncode, {c["name"]: c for c in doc["checks"]}

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        conn = station_connection(self.db)
        with conn:
            conn.execute(statement, params)
        conn.close()


def _cover_calendar(db: Path) -> None:
    """Import the coming year's holiday arrangement (a county calendar update) where the library lacks it."""
    from offline.store import Store
    from offline.workdays import WorkCalendar, calendar_update_rows, write_overrides

    store = Store.open(db)
    today = date.today()
    for gap in WorkCalendar.from_store(store).gaps(today, today + timedelta(days=365)):
        with store.write() as conn:
            write_overrides(conn, calendar_update_rows(f"{gap.year}-01-01 休\n"), source="test")
    store.close()


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    from devices.emulator import EmulatedCard, make_kind
    from devices.testing.pcsc_stack import StackError, pcsc_stack, unavailable_reason
    from tests.sync.helpers import start_gateway

    if unavailable_reason():
        reason = str(unavailable_reason())
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(reason)
    cupslib.require()
    gw = start_gateway(tmp_path / "gateway.db")
    try:
        with cupslib.running_cups() as cups, pcsc_stack(EmulatedCard(make_kind("formal"))):
            env = {
                **cups.env(),
                "CARDSTATION_PRINTER": cups.queue,
                "CARDSTATION_ADMIN_PASSWORD": "Admin#2026pass",
                "CARDSTATION_CONFIG": str(tmp_path / "none.toml"),
            }
            st = Station(tmp_path, gw, env)
            init = st.cli(
                "init",
                "--province",
                "hunan",
                "--service-point",
                SP,
                "--admin",
                "admin",
                "--admin-name",
                "张三",
            )
            assert init.returncode == 0, init.stderr
            token = gw.gateway.keyring.issue_token(STATION_ID, gw.gateway.now())
            enrol = st.cli("keys", "enrol", "--url", gw.url, "--token", token)
            assert enrol.returncode == 0, enrol.stderr
            _cover_calendar(st.db)
            assert st.cli("backup").returncode == 0
            yield st
    except StackError as exc:
        pytest.fail(str(exc))
    finally:
        gw.server.stop()


def test_doctor_on_a_healthy_station_then_each_problem_planted(station: Station) -> None:
    st = station
    code, checks = st.doctor()
    assert {n: c["level"] for n, c in checks.items()} == {n: "ok" for n in checks}, checks
    assert code == 0 and set(checks) == {
        "reader",
        "printer",
        "enrolment",
        "clock",
        "disk",
        "calendar",
        "profile",
        "store",
        "backup",
        "modes",
    }
    assert "社保卡应答正常" in checks["reader"]["detail"] and "就绪" in checks["printer"]["detail"]
    text = st.cli("doctor")
    assert text.returncode == 0 and "[正常] 读卡器" in text.stdout and "一切正常" in text.stdout

    def planted(name: str, level: str, *, also: tuple[str, ...] = (), **env: str) -> dict[str, str]:
        code, found = st.doctor(**env)
        others = {n: c["level"] for n, c in found.items() if n not in (name, *also) and c["level"] != "ok"}
        assert found[name]["level"] == level and not others, (name, found[name], others)
        assert code == {"warning": 1, "error": 2}[level]
        assert found[name]["fix"], found[name]
        return found[name]

    # The reader: pcscd unreachable.
    gone = planted("reader", "error", PCSCLITE_CSOCK_NAME=str(st.root / "no-pcscd.sock"))
    assert "pcscd" in gone["detail"]
    # The printer: a queue that does not exist.
    assert "不可用" in planted("printer", "error", CARDSTATION_PRINTER="no-such-printer")["detail"]
    # The clock: the gateway is 20 minutes ahead of the station.
    st.gateway.clock.offset_s = 1200
    assert "慢" in planted("clock", "warning")["detail"]
    st.gateway.clock.offset_s = 0
    # Enrolment: the server keys lapse in 10 days, then the station key file is gone.
    keys = json.loads(_setting(st.db, "sync_server_keys"))
    soon = [{**k, "not_after": (datetime.now().astimezone() + timedelta(days=10)).isoformat()} for k in keys]
    st.sql("UPDATE settings SET value = ? WHERE key = 'sync_server_keys'", (json.dumps(soon),))
    assert "还有 10 天" in planted("enrolment", "warning")["detail"] or "还有 9 天" in str(st.doctor()[1])
    st.sql("UPDATE settings SET value = ? WHERE key = 'sync_server_keys'", (json.dumps(keys),))
    key_file = next((st.db.parent / "keys").iterdir())
    key_file.rename(st.root / "key-away")
    planted("enrolment", "error")
    (st.root / "key-away").rename(key_file)
    # The calendar: next year's arrangement not known.
    st.sql("DELETE FROM calendar_days WHERE source = 'test'")
    if date.today().year + 1 not in _library_years():
        assert "节假日安排未更新" in planted("calendar", "warning")["detail"]
    _cover_calendar(st.db)
    # The backup: ten days old, then the store's own audit chain edited.
    old = (datetime.now().astimezone() - timedelta(days=10)).isoformat(timespec="seconds")
    st.sql("UPDATE settings SET value = ? WHERE key = 'backup.last_at'", (old,))
    planted("backup", "error")
    assert st.cli("backup").returncode == 0
    st.sql("UPDATE audit SET details = details || ' ' WHERE seq = 1")
    assert "审计链第 1 条" in planted("store", "error")["detail"]
    st.sql("UPDATE audit SET details = rtrim(details, ' ') WHERE seq = 1")
    # File modes: the store readable by everyone.
    os.chmod(st.db, 0o644)
    assert "station.db" in planted("modes", "error")["detail"]
    assert os.stat(st.db).st_mode & 0o777 == 0o600  # opening the store tightened it again
    os.chmod(key_file, 0o640)
    # (the key loader refuses a loose key file too, so enrolment reports it as well)
    assert key_file.name in planted("modes", "error", also=("enrolment",))["detail"]
    os.chmod(key_file, 0o600)
    receipts = st.db.parent / "receipts"
    receipts.mkdir(mode=0o700)
    (receipts / "r.pdf").write_bytes(b"%PDF-")
    os.chmod(receipts / "r.pdf", 0o644)  # a receipt names a person: world-readable is an error
    assert "r.pdf" in planted("modes", "error")["detail"]
    os.chmod(receipts / "r.pdf", 0o600)
    assert st.doctor()[0] == 0


def test_doctor_disk_below_the_freeze_floor(tmp_path: Path) -> None:
    """R-FRZ-2: the store on a 64 MB file system (tmpfs), below the 200 MB floor."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        db = mnt / "station.db"
        env = {**os.environ, "CARDSTATION_ADMIN_PASSWORD": "Admin#2026pass"}
        run = [sys.executable, "-m", "cardstation.cli", "--db", str(db)]
        subprocess.run(
            [
                *run,
                "init",
                "--province",
                "hubei",
                "--service-point",
                "42010200100100001",
                "--admin",
                "admin",
                "--admin-name",
                "张三",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        done = subprocess.run(
            [*run, "doctor", "--json"], env=env, capture_output=True, text=True, check=False
        )
        disk = {c["name"]: c for c in json.loads(done.stdout)["checks"]}["disk"]
        assert disk["level"] == "error" and "R-FRZ-2" in disk["detail"] and done.returncode == 2
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def _setting(db: Path, key: str) -> str:
    conn = station_connection(db)
    try:
        return str(conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()[0])
    finally:
        conn.close()


def _library_years() -> frozenset[int]:
    from offline.workdays import library_years

    return library_years()


def test_doctor_disk_levels_against_the_profile_floor(tmp_path: Path) -> None:
    """R-FRZ-2 levels where a small file system cannot be mounted: the floor moved instead."""
    from types import SimpleNamespace

    from cardstation import doctor
    from offline.store import Store

    store = Store.open(tmp_path / "s.db")
    free = __import__("shutil").disk_usage(tmp_path).free // (1024 * 1024)
    try:
        for floor, warn, level in ((free + 10, free + 20, "error"), (1, free + 20, "warning"), (1, 2, "ok")):
            ctx = doctor.Context(
                store=store,
                profile=SimpleNamespace(disk_floor_mb=floor, disk_warn_mb=warn),
                now=datetime.now().astimezone(),
            )
            assert doctor.check_disk(ctx).level == level
    finally:
        store.close()
