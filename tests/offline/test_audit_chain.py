"""The hash-chained audit trail (R-SEC-3): any edit, deletion or reordering is found and named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offline import audit
from offline.store import Store

CARDSTATION = Path(sys.executable).with_name("cardstation")


@pytest.fixture
def chained(store: Store) -> Store:
    with store.write() as conn:
        for i in range(1, 7):
            audit.append(
                conn,
                at=f"2026-03-02T09:0{i}:00+08:00",
                operator_id=1,
                action=f"test.step{i}",
                target=f"T{i}",
                details={"i": i},
            )
    return store


def _raw(store: Store, sql: str, params: tuple[object, ...] = ()) -> None:
    """Tamper with the file behind the application's back (plain sqlite, no write() wrapper)."""
    with store.write() as conn:
        conn.execute(sql, params)


def test_r_sec_3_intact_chain_verifies(chained: Store) -> None:
    report = audit.verify(chained.connection())
    assert report.ok and report.entries == 6 and report.first_bad_seq is None


def test_r_sec_3_edited_row_is_named(chained: Store) -> None:
    _raw(chained, "UPDATE audit SET details = ? WHERE seq = 3", ('{"i":30}',))
    report = audit.verify(chained.connection())
    assert not report.ok and report.first_bad_seq == 3 and "修改" in report.reason


def test_r_sec_3_edit_with_recomputed_hash_breaks_the_next_link(chained: Store) -> None:
    row = chained.one("SELECT * FROM audit WHERE seq = 3")
    assert row is not None
    forged = audit.entry_hash(
        row["prev_hash"], 3, row["at"], row["operator_id"], row["action"], "FORGED", row["details"]
    )
    _raw(chained, "UPDATE audit SET target = 'FORGED', hash = ? WHERE seq = 3", (forged,))
    report = audit.verify(chained.connection())
    assert not report.ok and report.first_bad_seq == 4


def test_r_sec_3_deleted_row_is_named(chained: Store) -> None:
    _raw(chained, "DELETE FROM audit WHERE seq = 3")
    report = audit.verify(chained.connection())
    assert not report.ok and report.first_bad_seq == 4 and "删除" in report.reason


def test_r_sec_3_reordered_rows_are_named(chained: Store) -> None:
    # Swap the content of rows 2 and 5, keeping seq numbers (what a reordering leaves behind).
    cols = "at, operator_id, action, target, details, prev_hash, hash"
    two = chained.one(f"SELECT {cols} FROM audit WHERE seq = 2")
    five = chained.one(f"SELECT {cols} FROM audit WHERE seq = 5")
    assert two is not None and five is not None
    sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
    with chained.write() as conn:
        conn.execute(f"UPDATE audit SET {sets} WHERE seq = 2", tuple(five))
        conn.execute(f"UPDATE audit SET {sets} WHERE seq = 5", tuple(two))
    report = audit.verify(chained.connection())
    assert not report.ok and report.first_bad_seq == 2 and "顺序" in report.reason


def _cli(db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CARDSTATION_") or k == "CARDSTATION_KEY_FILE"
    }
    return subprocess.run(
        [str(CARDSTATION), "--db", str(db), "audit", "verify", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_r_sec_3_cli_verify_exit_codes_and_json(chained: Store) -> None:
    from cardstation.cli import main

    assert main(["--db", str(chained.path), "audit", "verify"]) == 0
    ok = _cli(chained.path, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout) == {
        "ok": True,
        "entries": 6,
        "first_bad_seq": None,
        "reason": "",
    }
    _raw(chained, "DELETE FROM audit WHERE seq = 5")
    bad = _cli(chained.path)
    assert bad.returncode == 1 and "第 6 条" in bad.stdout
    bad_json = _cli(chained.path, "--json")
    assert bad_json.returncode == 1 and json.loads(bad_json.stdout)["first_bad_seq"] == 6


def test_cli_verify_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    from cardstation.cli import main

    db = tmp_path / "nope.db"
    assert main(["--db", str(db), "audit", "verify"]) == 1
    assert not db.exists()
