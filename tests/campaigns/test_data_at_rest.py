"""Data at rest (docs/threat-model.md): a copied store or data folder gives no ID number and no
usable signing key. Attacked as a thief would: copy the files, grep them, try to open them
without the station's key file — and `init` on an old cleartext store encrypts it in place.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from offline import audit, storekey
from offline.store import Store
from sync import keys
from tests.campaigns.cli_runner import cli_env, run_cli
from tests.helpers import one
from tests.sync.helpers import enrol_station, start_gateway, station_id_for

SSN = "430102199001011234"
PASSWORD = "tian-he-7-qiao"


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        *args, env=cli_env(Path(tempfile.gettempdir()) / "cardstation-campaign-logs", **env), timeout=300
    )


def _grep(folder: Path, needle: str) -> list[str]:
    out = subprocess.run(["grep", "-rlaF", needle, str(folder)], capture_output=True, text=True)
    return out.stdout.split()


def test_grep_of_a_copied_demo_store_finds_no_id_number(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    done = _cli("demo", "--dir", str(demo), "--persons", "6", "--no-tui")
    assert done.returncode == 0, done.stderr
    store = Store.open(demo / "station.db")  # the station itself, with its key file
    ssns = [r["ssn"] for r in store.query("SELECT ssn FROM persons")]
    names = [r["name"] for r in store.query("SELECT name FROM persons")]
    store.close()
    assert len(ssns) >= 6
    stolen = tmp_path / "stolen"
    shutil.copytree(demo, stolen, ignore=shutil.ignore_patterns("*.lock"))
    for needle in [*ssns, *names]:
        assert _grep(stolen / "station.db", needle) == [], needle
        for extra in stolen.glob("station.db-*"):
            assert _grep(extra, needle) == [], (needle, extra)
    # Without the key file the copy does not open at all; the signing key file is encrypted.
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(stolen / "station.db").execute("SELECT * FROM persons").fetchall()
    pem = next((stolen / "keys").glob("*.pem")).read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert not str(storekey.key_path()).startswith(str(demo))  # the key is not in the data folder


def test_init_on_a_plain_store_encrypts_it_in_place_with_a_backup_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "station.db"
    real_key = os.environ["CARDSTATION_KEY_FILE"]
    monkeypatch.setenv("CARDSTATION_KEY_FILE", str(tmp_path / "none" / "store.key"))  # an old station
    gw = start_gateway(tmp_path / "gw.db")
    try:
        store = enrol_station(tmp_path, gw.gateway, gw.url, station_id_for(960))
        with store.write() as conn:
            audit.append(
                conn, at="2026-03-02T09:00:00+08:00", operator_id=1, action="test", target=SSN, details={}
            )
        store.close()
        assert storekey.is_plain_sqlite(db) and _grep(tmp_path, SSN)
        assert b"ENCRYPTED" not in keys.key_path(Store(db)).read_bytes()
        monkeypatch.setenv("CARDSTATION_KEY_FILE", real_key)
        done = _cli("--db", str(db), "init", "--province", "hunan", "--service-point", "1", "--admin", "x")
        assert done.returncode == 0, done.stderr
        assert "已把明文数据库" in done.stdout and "已初始化" in done.stdout
        assert not storekey.is_plain_sqlite(db)
        assert not list(tmp_path.glob("station.db.*"))  # backup removed after the check, no temp left
        assert _grep(tmp_path, SSN) == [] or _grep(tmp_path, SSN) == [str(tmp_path / "gw.db")]
        store = Store.open(db)
        assert one(store, "SELECT target FROM audit WHERE action = 'test'")["target"] == SSN
        assert b"ENCRYPTED PRIVATE KEY" in keys.key_path(store).read_bytes()
        assert keys.sealer_for(store).station_id == station_id_for(960)  # still seals
        store.close()
        verify = _cli("--db", str(db), "audit", "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        again = _cli("--db", str(db), "init", "--province", "hunan", "--service-point", "1", "--admin", "x")
        assert again.returncode != 0 and "Traceback" not in again.stderr  # already encrypted and set up
    finally:
        gw.server.stop()


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "k" / "store.key"
    db = tmp_path / "station.db"
    done = _cli(
        "--db", str(db), "init", "--province", "hunan", "--service-point", "43012100100100001",
        "--admin", "admin", "--admin-name", "欧阳娜娜",
        CARDSTATION_KEY_FILE=str(key), CARDSTATION_ADMIN_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert key.stat().st_mode & 0o777 == 0o600
    key.chmod(0o644)
    refused = _cli("--db", str(db), "audit", "verify", CARDSTATION_KEY_FILE=str(key))
    assert refused.returncode == 1 and "chmod 600" in refused.stderr and "Traceback" not in refused.stderr
    key.chmod(0o600)
    missing = _cli("--db", str(db), "audit", "verify", CARDSTATION_KEY_FILE=str(tmp_path / "gone.key"))
    assert missing.returncode == 1 and "找不到密钥文件" in missing.stderr
