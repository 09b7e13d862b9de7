"""The card management system's check of a walk-in business (reference behaviour).

A station accepted the business offline on SSN + name + document for a holder it did not know
(`offline.services.walkins`). Here the catalogue decides, in the intake transaction, and the
answer goes back on the downlink as `walkin_result` {receipt_no, accepted, reason, rows,
card_number}, `rows` being the holder's catalogue rows after the change (so the station links
the business to the catalogue's card):

- the holder must be in the catalogue with the same name, and the same document number when one
  was given — except a temporary loss, which is never refused for lack of a link (R-LOSS-2: it
  protects the holder); an unmatched one is accepted and flagged for a check by hand;
- 正式挂失 needs a card that can be lost; 补领 needs a formally lost card (R-REP-1), and then goes
  on as an ordinary replacement application (production, `card_produced`); 注销 needs a card not
  yet cancelled; 查询 answers with the rows.
The card status change is published to the holder's other stations like any business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.gateway import catalogue
from sync.gateway.db import Conn, Row
from sync.gateway.production import add_update

LOSABLE = frozenset({"normal", "pin_locked", "temp_lost"})
TARGET = {"temp_loss": "temp_lost", "formal_loss": "lost", "cancel": "cancelled"}


def _card(conn: Conn, ssn: str, number: str) -> Row | None:
    if number:
        row: Row | None = conn.execute(
            "SELECT * FROM holder_cards WHERE card_number = ? AND ssn = ?", (number, ssn)
        ).fetchone()
        return row
    found: Row | None = conn.execute(
        "SELECT * FROM holder_cards WHERE ssn = ? ORDER BY (status = 'cancelled'), issue_date DESC, version DESC"
        " LIMIT 1",
        (ssn,),
    ).fetchone()
    return found


APPLICATION_STATES = {
    "accepted": "已受理，制卡中",
    "produced": "已制卡",
    "shipped": "已寄送网点",
    "rejected": "已退回",
    "replaced": "已被补换领取代",
    "cancelled": "已注销",
}


def _progress(conn: Conn, ssn: str, receipt_no: str) -> str:
    """What a 查询 by receipt number answers (R-INFO-3): the application's state, wherever it was filed."""
    if not receipt_no:
        return ""
    row = conn.execute(
        "SELECT state, reason FROM applications WHERE receipt_no = ? AND ssn = ?", (receipt_no, ssn)
    ).fetchone()
    if row is None:
        return f"受理编号 {receipt_no}：卡管系统无此人的该笔申请"
    state = APPLICATION_STATES.get(str(row["state"]), str(row["state"]))
    return f"受理编号 {receipt_no}：{state}" + (f"（{row['reason']}）" if row["reason"] else "")


def decide(conn: Conn, item: str, details: dict[str, Any]) -> tuple[bool, str, str, str]:
    """(accepted, Chinese reason, card number, new catalogue status or '') — no writes."""
    ssn = str(details.get("ssn", "")).upper()
    holder = conn.execute("SELECT * FROM holders WHERE ssn = ?", (ssn,)).fetchone()
    doc = str(details.get("doc_number", "")).upper()
    mismatch = ""
    if holder is None:
        mismatch = "卡管系统中没有该社会保障号码的持卡人"
    elif holder["name"] != str(details.get("name", "")).strip():
        mismatch = "姓名与卡管系统登记的不一致"
    elif doc and holder["doc_number"] != doc:
        mismatch = "证件号码与卡管系统登记的不一致"
    card = None if holder is None else _card(conn, ssn, str(details.get("card_number", "")).upper())
    if item == "temp_loss":
        if mismatch or card is None:
            why = mismatch or "卡管系统中没有该持卡人的卡"
            return True, f"临时挂失已登记（{why}，请人工核实）", "", ""
        if card["status"] in ("temp_lost", "lost"):
            return True, "该卡已是挂失状态", str(card["card_number"]), ""
        if card["status"] not in LOSABLE:
            return True, f"该卡状态为“{catalogue.CARD_STATUS_LABELS[card['status']]}”，无需挂失", "", ""
        return True, "", str(card["card_number"]), "temp_lost"
    if mismatch:
        return False, mismatch, "", ""
    if item == "query":
        return (
            True,
            _progress(conn, ssn, str(details.get("receipt_no_asked", ""))),
            ("" if card is None else str(card["card_number"])),
            "",
        )
    if card is None:
        return False, "卡管系统中没有该持卡人的卡", "", ""
    number, status = str(card["card_number"]), str(card["status"])
    label = catalogue.CARD_STATUS_LABELS.get(status, status)
    if item == "formal_loss":
        if status == "lost":
            return True, "该卡已正式挂失", number, ""
        if status not in LOSABLE:
            return False, f"该卡状态为“{label}”，不能正式挂失", number, ""
        return True, "", number, "lost"
    if item == "replace":
        if status != "lost":
            return False, f"补领须先正式挂失原卡（原卡状态为“{label}”）", number, ""
        return True, "", number, ""
    if item == "cancel":
        if status == "cancelled":
            return False, "该卡已注销", number, ""
        return True, "", number, "cancelled"
    return False, f"业务“{item}”不能按未登记持卡人办理", "", ""


def resolve(
    conn: Conn,
    station_id: str,
    record: dict[str, Any],
    at: str,
    application: Callable[[str, str], None],
) -> None:
    """Decide, apply to the catalogue, answer the station; `application(ssn, bank)` files a 补领."""
    item = str(record.get("item", ""))
    details = record.get("details") if isinstance(record.get("details"), dict) else {}
    assert isinstance(details, dict)
    receipt_no = str(record.get("receipt_no", ""))
    ssn = str(details.get("ssn", "")).upper()
    accepted, reason, number, target = decide(conn, item, details)
    if target and number:
        version = catalogue.next_version(conn)
        catalogue.move_card(conn, number, ssn, target, at, version)
        catalogue.publish(conn, [ssn], at, skip_station=station_id)
    if accepted and item == "replace":
        application(ssn, str(details.get("bank", "")))
    rows = catalogue.holder_rows(conn, ssn) if accepted and number else []
    add_update(
        conn,
        station_id,
        f"walkin-{receipt_no}",
        "walkin_result",
        {
            "receipt_no": receipt_no,
            "accepted": accepted,
            "reason": reason,
            "rows": rows,
            "card_number": number,
        },
        at,
    )
