"""Gateway answers that once depended on SQLite's dialect, now the same on both engines.

Each test here names the PostgreSQL failure it stands for (found when the gateway suites were
first run on PostgreSQL) and asserts the behaviour both engines must share.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.gateway import intake, verify
from sync.gateway.db import GatewayStore
from tests.sync.backends import Backend

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STATION = "43012100100100001" + "01"


def _apply(db: GatewayStore, receipt_no: str, ssn: str) -> None:
    payload = json.dumps(
        {"item": "apply", "receipt_no": receipt_no, "details": {"ssn": ssn, "bank": "中国银行"}}
    )
    with db.write() as conn:
        intake._act_on_business(
            conn, STATION, payload.encode(), NOW, intake.IntakeConfig(production_days=5.0)
        )


def test_online_check_within_one_second_prefers_the_live_application_R_TMP_2(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    """Was `ORDER BY received_at DESC, rowid DESC`: no rowid on PostgreSQL (an error, so the check
    and every temporary card waiting for it failed), and on SQLite a duplicate refused in the same
    second as the live application made the check fail."""
    db = gateway_store(tmp_path)
    ssn = "110101199003070016"
    _apply(db, "R1", ssn)
    _apply(db, "R2", ssn)  # the same second: refused, one person one card (R-APP-3)
    states = {r["receipt_no"]: r["state"] for r in db.query("SELECT receipt_no, state FROM applications")}
    assert states == {"R1": "accepted", "R2": "rejected"}
    with db.read() as conn:
        assert verify.check(conn, ssn)[0] == verify.PASSED
        assert verify.check(conn, "110101199003070024")[0] == verify.UNKNOWN
    with db.write() as conn:
        conn.execute("UPDATE applications SET state = 'cancelled' WHERE receipt_no = 'R1'")
    with db.read() as conn:
        assert verify.check(conn, ssn)[0] == verify.FAILED


def test_rotate_key_cli_retires_the_older_keys(
    tmp_path: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was `SET not_after = MIN(not_after, ?)`: SQLite's two-argument MIN, an aggregate refused in an
    UPDATE on PostgreSQL, so `gateway rotate-key --retire-old-after-days` failed there."""
    from cardstation.cli import main
    from sync.gateway.app import create_app

    target = backend.target(tmp_path)
    for name, value in target.env.items():
        monkeypatch.setenv(name, value)
    gw = create_app(target.db, kek_path=target.kek)
    now = datetime.now(UTC)
    (old,) = gw.keyring.hpke_public_keys(now, 1)
    gw.db.close()
    assert main(["gateway", "rotate-key", "--db", str(target.db), "--retire-old-after-days", "2"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    gw = create_app(target.db, kek_path=target.kek)
    try:
        rows = {
            r["key_id"]: str(r["not_after"])
            for r in gw.db.query(
                "SELECT key_id, not_after FROM server_keys WHERE purpose = 'hpke' AND suite = 1"
            )
        }
        keys_2 = {r["key_id"] for r in gw.db.query("SELECT key_id FROM server_keys WHERE suite = 2")}
    finally:
        gw.db.close()
    new = set(rows) - {old["key_id"]}
    assert len(new) == 1 and keys_2  # one new suite-1 key; the suite-2 keys untouched
    retired = datetime.fromisoformat(rows[old["key_id"]])
    assert timedelta(days=1.9) < retired - now < timedelta(days=2.1)  # shortened to two days
    assert datetime.fromisoformat(rows[new.pop()]) - now > timedelta(days=30)  # the new key lives on


def test_production_orders_by_receipt_and_survives_a_leap_day(
    tmp_path: Path, gateway_store: Callable[[Path], GatewayStore]
) -> None:
    """The due applications had no ORDER BY (each engine produced in its own order), and a card
    made on 29 February stopped the tick with a ValueError (no 29 February ten years later)."""
    from sync.gateway.production import tick

    db = gateway_store(tmp_path)
    leap = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    for n, receipt in enumerate(("R3", "R1", "R2")):
        payload = json.dumps(
            {
                "item": "apply",
                "receipt_no": receipt,
                "details": {"ssn": f"11010119900307{n:03d}X", "bank": "中国银行"},
            }
        )
        with db.write() as conn:
            intake._act_on_business(
                conn, STATION, payload.encode(), leap, intake.IntakeConfig(production_days=0.0)
            )
    tick(db, leap)
    produced = [
        json.loads(r["payload"])
        for r in db.query("SELECT payload FROM updates WHERE kind = 'card_produced' ORDER BY id")
    ]
    assert [p["receipt_no"] for p in produced] == ["R1", "R2", "R3"]
    assert {p["expiry_date"] for p in produced} == {"20380228"}
