"""Backups of a running store (online backup API) and restore, through the real CLI processes.

Two processes commit 500 businesses between them while `cardstation backup` runs as a third
process; the copy is one consistent snapshot (integrity, whole audit chain). Restored into a new
folder it holds exactly the copy's rows and the live store's chain up to that point. A copy of
another station is refused, and a restore over a store first backs up what it replaces.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from offline import audit
from offline.backup import inspect_copy, list_backups
from tests.field.conftest import make_field
from tests.field.workers import commit_contacts
from tests.station.helpers import station_connection

pytestmark = pytest.mark.timeout(300)
PER_PROCESS = 250


def cli(*args: str, db: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cardstation.cli", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def counts(db: Path) -> dict[str, int]:
    conn = station_connection(db)
    try:
        return {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("businesses", "audit", "outbox")
        }
    finally:
        conn.close()


def chain(db: Path) -> list[tuple[int, str]]:
    conn = station_connection(db)
    try:
        return [(int(s), str(h)) for s, h in conn.execute("SELECT seq, hash FROM audit ORDER BY seq")]
    finally:
        conn.close()


def test_R_SEC_3_backup_while_two_processes_write_then_restore(tmp_path: Path, sealer: Any) -> None:
    field = make_field(tmp_path / "live", sealer)
    a, b = field.in_stock(1), field.in_stock(2)
    db = field.store.path
    before = counts(db)
    field.store.close()
    spawn = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0
    backups = tmp_path / "backups"
    with spawn.Pool(2) as pool:
        jobs = [
            pool.apply_async(commit_contacts, (str(db), role, card, PER_PROCESS, start_at))
            for role, card in (("operator", a.card_id), ("supervisor", b.card_id))
        ]
        while counts(db)["businesses"] < before["businesses"] + 60:  # the writers are well under way
            assert not all(j.ready() for j in jobs), "writers finished before the backup could start"
            time.sleep(0.05)
        done = cli("backup", "--to", str(backups), "--json", db=db)
        writers_still_running = not all(j.ready() for j in jobs)
        results = [j.get(timeout=240) for j in jobs]
    assert done.returncode == 0, done.stderr
    assert all(r["errors"] == [] for r in results)
    report = json.loads(done.stdout)
    copy = Path(report["path"])
    assert copy.parent == backups and copy.stat().st_mode & 0o777 == 0o600
    after = counts(db)
    assert after["businesses"] == before["businesses"] + 2 * PER_PROCESS
    snap = counts(copy)
    # A consistent snapshot taken mid-run: every business has its audit entry and its envelope.
    assert before["businesses"] + 60 <= snap["businesses"] <= after["businesses"]
    assert snap["businesses"] - before["businesses"] == snap["audit"] - before["audit"]
    assert snap["businesses"] - before["businesses"] == snap["outbox"] - before["outbox"]
    assert report["businesses"] == snap["businesses"] and report["audit_entries"] == snap["audit"]
    print(
        f"\nbackup during writes: {report['seconds']} s, copy holds {snap['businesses']} of {after['businesses']}"
        f" businesses, writers still running when it finished: {writers_still_running}"
    )

    # Restore into a new folder (a replacement machine): counts and chain equal.
    station_id = field.info.station_id
    new_db = tmp_path / "new-machine" / "station.db"
    no_id = cli("restore", str(copy), db=new_db)
    assert no_id.returncode == 1 and "--station-id" in no_id.stderr and not new_db.exists()
    restored = cli("restore", str(copy), "--station-id", station_id, db=new_db)
    assert restored.returncode == 0, restored.stderr
    assert counts(new_db) == snap
    live_chain = chain(db)
    assert chain(new_db) == live_chain[: snap["audit"]]
    verify = cli("audit", "verify", "--json", db=new_db)
    assert verify.returncode == 0 and json.loads(verify.stdout)["entries"] == snap["audit"]

    # A copy of another station is refused, and the store is left as it was.
    other = tmp_path / "other" / "station.db"
    env = {"CARDSTATION_ADMIN_PASSWORD": "Admin#2026pass"}
    init = cli(
        "init",
        "--province",
        "hunan",
        "--service-point",
        "43012100100100002",
        "--admin",
        "admin",
        "--admin-name",
        "张三",
        db=other,
        env=env,
    )
    assert init.returncode == 0, init.stderr
    other_copy = json.loads(cli("backup", "--to", str(tmp_path / "ob"), "--json", db=other).stdout)["path"]
    refused = cli("restore", other_copy, db=db)
    assert refused.returncode == 1 and "拒绝恢复" in refused.stderr and "Traceback" not in refused.stderr
    assert counts(db) == after and chain(db) == live_chain

    # Restoring the older copy over the live store first saves what it replaces.
    over = cli("restore", str(copy), "--backup-dir", str(tmp_path / "safety"), db=db)
    assert over.returncode == 0, over.stderr
    (safety,) = list_backups(tmp_path / "safety", station_id)
    assert safety.name.endswith("-before-restore.db")
    assert counts(safety) == after and counts(db) == snap
    assert inspect_copy(safety).ok and audit.verify(station_connection(db)).ok
    # The replaced store had already queued envelopes up to seq N (the centre may hold them): the
    # next business continues above N instead of reusing a number the gateway would call a replay.
    more = commit_contacts(str(db), "operator", a.card_id, 1, time.time())
    assert more["errors"] == []
    top = station_connection(db).execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
    assert top == after["outbox"] + 1
    # ...and its receipt number is new too (R-APP-8): the restored copy had handed out fewer.
    safety_receipts = {r[0] for r in station_connection(safety).execute("SELECT receipt_no FROM businesses")}
    assert more["receipts"][0] not in safety_receipts


def test_backup_keeps_the_last_n_and_fills_the_mirror(tmp_path: Path, sealer: Any) -> None:
    field = make_field(tmp_path / "live", sealer)
    db = field.store.path
    field.store.close()
    usb = tmp_path / "usb"
    missing = cli("backup", "--mirror", str(usb), db=db)
    assert missing.returncode == 1 and "不存在" in missing.stderr
    usb.mkdir()
    first = cli("backup", "--mirror", str(usb), "--keep", "2", db=db)
    assert first.returncode == 0, first.stderr
    assert "第二备份目录" in first.stdout
    for _ in range(3):
        time.sleep(1.05)  # one copy per second in the file names
        assert cli("backup", db=db).returncode == 0
    station_id = field.info.station_id
    local = list_backups(db.parent / "backups", station_id)
    assert len(local) == 2 and len(list_backups(usb, station_id)) == 2
    assert [p.name for p in local] == [p.name for p in list_backups(usb, station_id)]
    # The stick pulled out: the local copy is still made, the command says so and exits 1.
    usb.rename(tmp_path / "usb-away")
    pulled = cli("backup", db=db)
    assert pulled.returncode == 1 and "U盘" in pulled.stdout
    assert len(list_backups(db.parent / "backups", station_id)) == 2


def test_backup_and_restore_refusals_are_chinese_messages(tmp_path: Path, sealer: Any) -> None:
    field = make_field(tmp_path / "live", sealer)
    db = field.store.path
    field.store.close()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    for args in (
        ("restore", str(junk)),
        ("restore", str(tmp_path / "missing.db")),
        ("backup", "--to", "/proc/no-such-folder"),
    ):
        done = cli(*args, db=db)
        assert done.returncode == 1 and done.stderr.startswith("错误：") and "Traceback" not in done.stderr, (
            args
        )
    assert counts(db)["businesses"] >= 0 and audit.verify(station_connection(db)).ok
