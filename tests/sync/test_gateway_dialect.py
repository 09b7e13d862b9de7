"""Gateway answers that once depended on SQLite's dialect, now the same on both engines.

Each test here names the PostgreSQL failure it stands for (found when the gateway suites were
first run on PostgreSQL) and asserts the behaviour both engines must share.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sync.gateway import intake, verify
from sync.gateway.db import GatewayStore

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
