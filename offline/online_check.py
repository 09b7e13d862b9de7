"""Downlink 'online_check_result': the 联网核查 of a temporary card issued offline (R-TMP-2, HN 12).

A temporary card issued without a link is recorded as 待联网核查 (`online_check_pending` in its
business). The card management system checks it when the business arrives and answers with
{receipt_no, passed, reason}; the answer is kept on the business (remote status and reason),
where the person page and the business list show it, and a refusal tells the operator what to do.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the downlink imports this module for its handler table
    from offline.downlink import DownlinkUpdate

PASSED_LABEL = "联网核查通过"
FAILED_LABEL = "联网核查未通过"


def on_result(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    from offline.downlink import DownlinkRejected

    p = update.payload
    receipt_no, passed, reason = str(p["receipt_no"]), bool(p["passed"]), str(p.get("reason", ""))
    row = conn.execute("SELECT id, details FROM businesses WHERE receipt_no = ?", (receipt_no,)).fetchone()
    if row is None:
        raise DownlinkRejected(f"本站没有受理编号 {receipt_no} 的业务")
    details = json.loads(row["details"] or "{}")
    if not details.get("online_check_pending"):
        raise DownlinkRejected(f"受理编号 {receipt_no} 不是待联网核查的临时卡业务")
    conn.execute(
        "UPDATE businesses SET remote_status = ?, remote_reason = ? WHERE id = ?",
        (PASSED_LABEL if passed else FAILED_LABEL, reason, row["id"]),
    )
    if passed:
        return f"受理编号 {receipt_no}：临时卡{PASSED_LABEL}"
    return (
        f"受理编号 {receipt_no}：临时卡{FAILED_LABEL}（{reason}）。"
        "请联系持卡人收回临时卡，办理临时卡注销，并核实其身份信息。"
    )
