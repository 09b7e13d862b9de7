"""What the card management system does beyond production: every other downlink kind has a flow here.

The station handles a downlink kind only if the card management system can send it; a kind
nobody produces is a business that stops halfway (the bank-change reply, HN 24(3)-(4), once
could never arrive). So each kind of `offline.downlink.HANDLERS` has its producer:

- `application_result`, `card_produced`, `card_shipped`: intake + production (an application,
  a replacement, an exchange — and the exchange a key-information change forces, HB 25 / HN 16,
  which files an application here like any exchange; a card the station returned after a
  failed read-card test, R-ISS-3 / HB 16, is made again under a new number).
- `ack_status`: the central record of a business that files no application (cancellation,
  formal loss, region transfer, information change): `act_on_business`.
- `bank_change_decision`: the card centre's reply (复函) to a bank-change request, HN 24(3)-(4):
  `decide_bank_change` (the county decides; in demo mode the reply comes at once).
- `bank_loss` / `bank_loss_lifted`: a loss reported or lifted at the bank (HN 20(3), 22(3)).
- `operator_revoked`: an operator account stopped centrally (R-SEC-2).
- `profile_update`: the province's parameters; `calendar_update`: a year's holiday arrangement.
- `online_check_result`: the 联网核查 of a temporary card issued offline (sync/gateway/verify.py).

The county runs these through `cardstation gateway ...` (cardstation/commands/gateway_flows.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from offline.protocols import CardstationError
from sync.gateway.db import Conn, GatewayStore
from sync.gateway.production import add_update

#: Items the card management system records without filing an application: acknowledged by status.
RECORDED_ITEMS = {
    "cancel": "卡管系统已注销",
    "formal_loss": "卡管系统已正式挂失",
    "transfer": "卡管系统已变更归属地",
    "info_change": "卡管系统已更新个人信息",
    "key_info_change": "卡管系统已更新关键信息",
}


class FlowError(CardstationError):
    """A county request the gateway cannot carry out (Chinese message for the CLI)."""


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def act_on_business(
    conn: Conn,
    station_id: str,
    item: str,
    receipt_no: str,
    details: dict[str, Any],
    now: datetime,
    *,
    demo: bool,
) -> None:
    """Reference behaviour for the items that file no application (intake handles those)."""
    at = _iso(now)
    if item == "bank_change":
        conn.execute(
            "INSERT INTO bank_changes(receipt_no, station_id, ssn, card_number, old_bank, new_bank, state,"
            " received_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT(receipt_no) DO NOTHING",
            (
                receipt_no,
                station_id,
                str(details.get("ssn", "")).upper(),
                str(details.get("card_number", "")).upper(),
                str(details.get("old_bank", "")),
                str(details.get("new_bank", "")),
                at,
            ),
        )
        if demo:  # the demo card centre answers at once (a real one within 5 working days, HN 24(3))
            _decide(conn, receipt_no, approved=True, reason="演示：服务中心同意变更", at=at)
        return
    if item == "temp_card":
        from sync.gateway.verify import check_pending

        check_pending(conn, station_id, receipt_no, details, now)
        return
    if item == "issue" and details.get("action") == "return_for_reproduction":
        _reproduce(conn, str(details.get("card_number", "")).upper(), now, demo=demo)
        return
    status = RECORDED_ITEMS.get(item)
    if status is not None and receipt_no:
        add_update(
            conn,
            station_id,
            f"ack-{receipt_no}",
            "ack_status",
            {"receipt_no": receipt_no, "status": status},
            at,
        )


def _reproduce(conn: Conn, card_number: str, now: datetime, *, demo: bool) -> None:
    """R-ISS-3 (HB 16): a card that failed the station's read-card test is made again, new number."""
    from datetime import timedelta

    from offline.protocols import card_number_check_char as check_char

    row = conn.execute(
        "SELECT receipt_no, station_id FROM applications WHERE card_number = ?", (card_number,)
    ).fetchone()
    if row is None:
        return  # not made here (another system's card): nothing to re-make
    last = conn.execute(
        "SELECT MAX(CAST(substr(card_number, 2, 7) AS INTEGER)) FROM applications WHERE card_number LIKE 'R%'"
    ).fetchone()[0]
    first8 = "R" + f"{int(last or 0) + 1:07d}"  # re-made cards get their own series: never a clash
    k = int(last or 0) + 1
    station = str(row["station_id"])
    city = (station[:4] + "00")[2:5] if station[:4].isdigit() else "000"
    number, id_code = first8 + check_char(first8), f"{city}D156000009{k % 10000:04d}{(k * 7919) % 10000:04d}"
    produce = now + timedelta(days=0 if demo else 5)
    conn.execute(
        "UPDATE applications SET state = 'accepted', produce_at = ?, ship_at = ?, card_number = ?,"
        " card_id_code = ? WHERE receipt_no = ?",
        (_iso(produce), _iso(produce + timedelta(days=0 if demo else 1)), number, id_code, row["receipt_no"]),
    )


def is_key_info_exchange(item: object, details: dict[str, Any]) -> bool:
    """A key-information change with a card in use forces an exchange (HB 25, HN 16)."""
    return item == "key_info_change" and bool(details.get("new_card"))


def old_ssn_of(details: dict[str, Any]) -> str:
    """The number the person had before a key-information change of the number ('' if unchanged)."""
    changes = details.get("key_changes")
    if isinstance(changes, dict) and isinstance(changes.get("ssn"), dict):
        return str(changes["ssn"].get("old", "")).upper()
    return ""


def decide_bank_change(
    db: GatewayStore, receipt_no: str, *, approved: bool, reason: str, now: datetime
) -> str:
    """The card centre's reply (复函) to a bank-change request: queued for the station (HN 24(3)-(4))."""
    with db.write() as conn:
        row = conn.execute("SELECT * FROM bank_changes WHERE receipt_no = ?", (receipt_no,)).fetchone()
        if row is None:
            raise FlowError(f"没有受理编号为 {receipt_no} 的发卡银行变更申请（该站尚未上传，或编号有误）")
        if row["state"] != "pending":
            raise FlowError(f"受理编号 {receipt_no} 的申请已答复（{row['state']}），不能重复答复")
        if not _decide(conn, receipt_no, approved=approved, reason=reason, at=_iso(now)):
            raise FlowError(f"受理编号 {receipt_no} 的申请已答复，不能重复答复")
        return str(row["station_id"])


def _decide(conn: Conn, receipt_no: str, *, approved: bool, reason: str, at: str) -> bool:
    """Answer a pending request; False when it was answered already (nothing queued)."""
    row = conn.execute("SELECT station_id FROM bank_changes WHERE receipt_no = ?", (receipt_no,)).fetchone()
    decided = conn.execute(  # only a pending request: two replies racing answer it once
        "UPDATE bank_changes SET state = ?, decided_at = ?, reason = ? WHERE receipt_no = ? AND state = 'pending'",
        ("approved" if approved else "rejected", at, reason, receipt_no),
    )
    if decided.rowcount != 1:
        return False
    add_update(
        conn,
        row["station_id"],
        f"bank-change-{receipt_no}",
        "bank_change_decision",
        {"receipt_no": receipt_no, "approved": approved, "reason": reason},
        at,
    )
    return True


def _station_of_card(conn: Conn, card_number: str) -> str:
    row = conn.execute(
        "SELECT station_id FROM applications WHERE card_number = ? ORDER BY received_at DESC LIMIT 1",
        (card_number.upper(),),
    ).fetchone()
    if row is None:
        raise FlowError(f"卡管系统没有卡号 {card_number} 的制卡记录")
    return str(row["station_id"])


def report_bank_loss(
    db: GatewayStore,
    card_number: str,
    *,
    kind: str,
    now: datetime,
    station_id: str = "",
    verbal: bool = False,
) -> str:
    """A loss reported at the bank or online (HN 20(3)): the holder's station shows it at once.

    `verbal`: a 口头挂失 by phone, which lapses at the station like its own (HN 21).
    """
    if kind not in ("temp", "formal"):
        raise FlowError("挂失类型只能是 temp（临时）或 formal（正式）")
    at = _iso(now)
    with db.write() as conn:
        station = station_id or _station_of_card(conn, card_number)
        add_update(
            conn,
            station,
            f"bank-loss-{card_number.upper()}-{at}",
            "bank_loss",
            {"card_number": card_number.upper(), "kind": kind, "verbal": verbal and kind == "temp"},
            at,
        )
    return station


def lift_bank_loss(db: GatewayStore, card_number: str, *, now: datetime, station_id: str = "") -> str:
    """A loss lifted at the bank (HN 22(3))."""
    at = _iso(now)
    with db.write() as conn:
        station = station_id or _station_of_card(conn, card_number)
        add_update(
            conn,
            station,
            f"bank-lift-{card_number.upper()}-{at}",
            "bank_loss_lifted",
            {"card_number": card_number.upper()},
            at,
        )
    return station


def revoke_operator(db: GatewayStore, station_id: str, username: str, *, reason: str, now: datetime) -> None:
    """An operator account stopped centrally (R-SEC-2)."""
    at = _iso(now)
    with db.write() as conn:
        add_update(
            conn,
            station_id,
            f"revoke-{station_id}-{username}-{at}",
            "operator_revoked",
            {"username": username, "reason": reason},
            at,
        )


def publish_profile(db: GatewayStore, toml_text: str, *, now: datetime, station_id: str = "*") -> None:
    """The province's parameters, checked by the strict parser before anything is queued."""
    from offline.profiles import parse_profile

    try:
        parse_profile(toml_text)
    except Exception as exc:  # the parser's own error names the bad value
        raise FlowError(f"业务参数文件无效：{exc}") from exc
    at = _iso(now)
    with db.write() as conn:
        add_update(conn, station_id, f"profile-{at}", "profile_update", {"toml": toml_text}, at)


def publish_calendar(
    db: GatewayStore, days: Sequence[tuple[str, bool, str]], *, now: datetime, station_id: str = "*"
) -> None:
    """A year's holiday arrangement (State Council notice) for every station."""
    if not days:
        raise FlowError("日历文件没有任何日期")
    at = _iso(now)
    rows = [[d, bool(w), n] for d, w, n in days]
    with db.write() as conn:
        add_update(
            conn, station_id, f"calendar-{rows[0][0]}-{len(rows)}-{at}", "calendar_update", {"days": rows}, at
        )
