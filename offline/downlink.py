"""Domain effects of downlink updates from the card management system (sync pulls, this applies).

`apply_update()` applies ONE update in ONE transaction together with its `inbox` row and the
new cursor (settings 'downlink_cursor'), so a crash at any point either applied both or
neither, and the next pull resumes exactly after the last applied update.

- A repeated `update_id` is a no-op (returns 'duplicate'): updates may be delivered twice.
- An unknown kind, or an update that cannot be applied here (malformed payload, a card or
  receipt this station does not know), is recorded in `inbox` with its outcome, logged, and
  the cursor still advances: one bad update never blocks the stream. Its partial effects are
  rolled back to a savepoint first.
- A database error (disk full, busy) propagates: nothing is written, the cursor stays, the
  update is pulled again.

Kinds (payload fields):
  application_result {receipt_no, accepted, reason}   R-APP-3 (one person one card across stations)
  ack_status         {receipt_no, status, reason?}     generic remote status of a business
  card_produced      {receipt_no | ssn, card_number, card_id_code, issue_date, expiry_date, bank}
  card_shipped       {card_numbers, station_id}        → 'shipped' (see below)
  bank_loss          {card_number, kind: temp|formal, verbal?}  R-LOSS-4 (HN 20(3)); verbal lapses (HN 21)
  bank_loss_lifted   {card_number}                     R-LOSS-4 (HN 22(3))
  operator_revoked   {username, reason}                R-SEC-2
  profile_update     {toml}                            → settings 'profile_override' (validated)
  calendar_update    {days: [[YYYY-MM-DD, is_workday, name], ...]} → calendar_days
  card_holder_verdict {card_number, verdict: confirmed|corrected|refused, reason, person?, card?}
                     R-HLD-3, a card in hand checked against the catalogue (services/card_in_hand.py)
  roster_holder      {rows: [catalogue row, ...]}      holder roster delta (offline/roster.py)
  roster_refresh     {version}                         many changes: download a new area snapshot
  walkin_result      {receipt_no, accepted, reason, rows, card_number}  walk-in check (services/walkins.py)
  bank_change_decision {receipt_no, approved, reason}  HN 24(3)-(4) (offline/services/bank_change.py)
  online_check_result {receipt_no, passed, reason}     R-TMP-2 待联网核查 resolved (offline/online_check.py)

Every kind here is produced by the reference gateway in some flow (sync/gateway/flows.py);
tests/sync/test_gateway_flows.py enumerates them.

Decision on 'card_shipped': a shipped card always becomes 'shipped', never 'arrived', whatever
the payload says. R-ISS-1 wants cards signed in by someone who has them in hand, and the
R-ISS-2 contact deadline must run from that real arrival; `stock.shipped_cards()` pre-fills
the sign-in (`stock.receive_cards(..., source='shipment')`).

Other areas add kinds by registering a handler in `HANDLERS` (kind → function(conn, update, at)
-> Chinese outcome line, raising `DownlinkRejected` to refuse).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from offline import audit, clock, online_check, roster
from offline.errors import CardstationError, DomainError
from offline.lifecycle import move_card
from offline.profiles import OVERRIDE_SETTING, Profile
from offline.services import bank_change, card_in_hand, walkins
from offline.store import Store

log = logging.getLogger(__name__)

CURSOR_KEY = "downlink_cursor"
PROFILE_OVERRIDE_KEY = OVERRIDE_SETTING  # the profile module owns the name (effective_profile reads it)
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class DownlinkUpdate:
    update_id: str
    kind: str
    payload: dict[str, Any]


class DownlinkRejected(CardstationError):
    """This update cannot be applied here; recorded with the reason, the stream goes on."""


Handler = Callable[[sqlite3.Connection, DownlinkUpdate, str], str]


def cursor(store: Store) -> str:
    """The cursor after the last applied update ('' before the first pull)."""
    return store.setting(CURSOR_KEY, "") or ""


def apply_update(store: Store, update: DownlinkUpdate, *, cursor: str) -> str:
    """Apply one update with its inbox row and the cursor, in one transaction; Chinese outcome line."""
    at = clock.now_iso()
    with store.write() as conn:
        if conn.execute("SELECT 1 FROM inbox WHERE update_id = ?", (update.update_id,)).fetchone():
            return DUPLICATE
        handler = _handler(update.kind)
        if handler is None:
            outcome = f"unknown kind：未知的下发类型“{update.kind}”，已记录，未处理"
            log.warning("downlink update %s: unknown kind %r", update.update_id, update.kind)
        else:
            conn.execute("SAVEPOINT downlink_update")
            try:
                outcome = handler(conn, update, at)
            except (DownlinkRejected, DomainError, KeyError, ValueError, TypeError) as exc:
                conn.execute("ROLLBACK TO SAVEPOINT downlink_update")
                outcome = f"未应用：{_reason(exc)}"
                log.warning("downlink update %s (%s) not applied: %s", update.update_id, update.kind, exc)
            conn.execute("RELEASE SAVEPOINT downlink_update")
        conn.execute(
            "INSERT INTO inbox(update_id, kind, payload, applied_at, outcome) VALUES (?, ?, ?, ?, ?)",
            (
                update.update_id,
                update.kind,
                json.dumps(update.payload, ensure_ascii=False, sort_keys=True),
                at,
                outcome,
            ),
        )
        store.set_setting(conn, CURSOR_KEY, cursor)
        audit.append(
            conn,
            at=at,
            operator_id=None,
            action=f"downlink.{update.kind}",
            target=update.update_id,
            details={"outcome": outcome[:200]},
        )
        return outcome


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"下发内容缺少字段 {exc.args[0]!r}"
    if isinstance(exc, DownlinkRejected | DomainError):
        return str(exc)
    return f"下发内容无效（{exc}）"


def _handler(kind: str) -> Handler | None:
    return HANDLERS.get(kind)


# --------------------------------------------------------------------------- helpers


def _business(conn: sqlite3.Connection, receipt_no: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM businesses WHERE receipt_no = ?", (receipt_no,)
    ).fetchone()
    if row is None:
        raise DownlinkRejected(f"本站没有受理编号 {receipt_no} 的业务")
    return row


def _card(conn: sqlite3.Connection, card_number: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM cards WHERE card_number = ?", (card_number,)
    ).fetchone()
    if row is None:
        raise DownlinkRejected(f"本站没有卡号 {card_number} 的卡")
    return row


def _iso_day(text: str) -> str:
    t = str(text).strip()
    if len(t) == 8 and t.isdigit():
        return f"{t[:4]}-{t[4:6]}-{t[6:]}"
    if t:
        datetime.strptime(t[:10], "%Y-%m-%d")
    return t[:10]


# --------------------------------------------------------------------------- handlers


def on_application_result(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """Central check of an application (e.g. R-APP-3 across stations): shown on the business."""
    p = update.payload
    biz = _business(conn, str(p["receipt_no"]))
    accepted, reason = bool(p["accepted"]), str(p.get("reason", ""))
    conn.execute(
        "UPDATE businesses SET remote_status = ?, remote_reason = ? WHERE id = ?",
        ("accepted" if accepted else "rejected", reason, biz["id"]),
    )
    if accepted:
        conn.execute(
            "UPDATE applications SET status = 'approved', updated_at = ? WHERE business_id = ?"
            " AND status = 'accepted'",
            (at, biz["id"]),
        )
        return f"受理编号 {biz['receipt_no']}：卡管系统审核通过"
    conn.execute(
        "UPDATE applications SET status = 'rejected', reject_reason = ?, updated_at = ? WHERE business_id = ?"
        " AND status IN ('accepted', 'approved')",
        (reason, at, biz["id"]),
    )
    return f"受理编号 {biz['receipt_no']}：卡管系统退回，原因：{reason}"


def on_ack_status(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    p = update.payload
    biz = _business(conn, str(p["receipt_no"]))
    status = str(p["status"])
    if not status:
        raise ValueError("status is empty")
    conn.execute(
        "UPDATE businesses SET remote_status = ?, remote_reason = ? WHERE id = ?",
        (status, str(p.get("reason", "")), biz["id"]),
    )
    return f"受理编号 {biz['receipt_no']}：卡管系统状态为“{status}”"


def on_card_produced(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """A card was produced for an application of this station: the card row appears as 'produced'."""
    p = update.payload
    number = str(p["card_number"]).upper()
    app: sqlite3.Row | None = None
    if p.get("receipt_no"):
        biz = _business(conn, str(p["receipt_no"]))
        app = conn.execute(
            "SELECT * FROM applications WHERE business_id = ? ORDER BY id DESC LIMIT 1", (biz["id"],)
        ).fetchone()
        person_id = app["person_id"] if app is not None else biz["person_id"]
        if person_id is None and p.get("ssn"):
            found = conn.execute("SELECT id FROM persons WHERE ssn = ?", (str(p["ssn"]).upper(),)).fetchone()
            person_id = None if found is None else found["id"]
    else:
        person = conn.execute("SELECT id FROM persons WHERE ssn = ?", (str(p["ssn"]).upper(),)).fetchone()
        if person is None:
            raise DownlinkRejected(f"本站没有社会保障号码 {p['ssn']} 的人员")
        person_id = person["id"]
        app = conn.execute(
            "SELECT * FROM applications WHERE person_id = ? AND status IN ('accepted', 'approved')"
            " ORDER BY id DESC LIMIT 1",
            (person_id,),
        ).fetchone()
    if person_id is None:
        raise DownlinkRejected("该业务未关联人员，无法建卡")
    existing = conn.execute("SELECT id, person_id FROM cards WHERE card_number = ?", (number,)).fetchone()
    if existing is not None:
        if existing["person_id"] != person_id:
            raise DownlinkRejected(f"卡号 {number} 已属于本站另一持卡人")
        return f"卡号 {number} 已登记，无需重复建卡"
    bank = str(p.get("bank") or (app["bank"] if app is not None else ""))
    if not bank:
        raise DownlinkRejected("制卡信息缺少发卡银行")
    cartoon = 0
    if app is not None:
        biz_details = conn.execute(
            "SELECT details FROM businesses WHERE id = ?", (app["business_id"],)
        ).fetchone()
        if biz_details is not None:
            cartoon = int(bool(json.loads(biz_details[0] or "{}").get("cartoon", False)))
    cur = conn.execute(
        "INSERT INTO cards(person_id, application_id, card_number, card_id_code, bank, status, cartoon, issue_date,"
        " expiry_date, produced_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'produced', ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            None if app is None else app["id"],
            number,
            str(p.get("card_id_code", "")),
            bank,
            cartoon,
            _iso_day(p.get("issue_date", "")),
            _iso_day(p.get("expiry_date", "")),
            at,
            at,
            at,
        ),
    )
    conn.execute(
        "INSERT INTO card_moves(card_id, from_status, to_status, at) VALUES (?, '', 'produced', ?)",
        (cur.lastrowid, at),
    )
    if app is not None:
        conn.execute(
            "UPDATE applications SET status = 'produced', updated_at = ? WHERE id = ? AND status IN"
            " ('accepted', 'approved', 'remaking')",
            (at, app["id"]),
        )
    return f"卡号 {number} 已制卡，等待寄送到网点"


def on_card_shipped(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """Cards on their way to this station → 'shipped'; the sign-in (R-ISS-1) is done by hand."""
    numbers = [str(n).upper() for n in update.payload["card_numbers"]]
    moved, unknown, skipped = [], [], []
    for n in numbers:
        card = conn.execute("SELECT * FROM cards WHERE card_number = ?", (n,)).fetchone()
        if card is None:
            unknown.append(n)
        elif card["status"] != "produced":
            skipped.append(n)
        else:
            move_card(conn, card, "shipped", at=at)
            if card["application_id"] is not None:
                conn.execute(
                    "UPDATE applications SET status = 'shipped', updated_at = ? WHERE id = ? AND status ="
                    " 'produced'",
                    (at, card["application_id"]),
                )
            moved.append(n)
    if not moved and unknown and not skipped:
        raise DownlinkRejected(f"寄送的卡本站均无记录：{'、'.join(unknown)}")
    line = f"{len(moved)} 张卡已寄出，到达后请扫描入库"
    if unknown:
        line += f"；本站无记录的卡：{'、'.join(unknown)}"
    if skipped:
        line += f"；状态已变化未处理：{'、'.join(skipped)}"
    return line


def _station_profile(conn: sqlite3.Connection) -> Profile | None:
    """This station's province profile (handlers get a connection, not a context); None before init."""
    from offline.profiles import effective_profile

    row = conn.execute("SELECT value FROM settings WHERE key = 'province'").fetchone()
    if row is None:
        return None
    override = conn.execute("SELECT value FROM settings WHERE key = ?", (OVERRIDE_SETTING,)).fetchone()
    return effective_profile(str(row[0]), None if override is None else str(override[0])).profile


def on_bank_loss(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """R-LOSS-4: a loss reported at the bank or online (HN 20(3)); the station shows it at once.

    A verbal (口头) temporary loss lapses like one made at the window (HN 21, 5-7 days at the
    bank): payload 'verbal': true gives it the profile's expiry.
    """
    from datetime import timedelta

    card = _card(conn, str(update.payload["card_number"]).upper())
    kind = str(update.payload["kind"])
    if kind not in ("temp", "formal"):
        raise ValueError(f"kind {kind!r}")
    target = "temp_lost" if kind == "temp" else "lost"
    if card["status"] == target:
        return f"卡号 {card['card_number']} 已是挂失状态"
    verbal = kind == "temp" and bool(update.payload.get("verbal", False))
    profile = _station_profile(conn)
    days = profile.temp_loss_expiry_days if verbal and profile is not None else None
    expires = (
        (datetime.fromisoformat(at) + timedelta(days=int(days))).isoformat(timespec="seconds") if days else ""
    )
    move_card(
        conn,
        card,
        target,
        at=at,
        loss_reported_at=at,
        loss_expires_at=expires,
        loss_verbal=int(verbal),
        loss_source="bank",
    )
    return f"卡号 {card['card_number']} 已在银行{'临时' if kind == 'temp' else '正式'}挂失（卡管系统下发）"


def on_bank_loss_lifted(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """R-LOSS-4: lifted at the bank (HN 22(3)); for a formal loss this is the only way (R-LOSS-1)."""
    card = _card(conn, str(update.payload["card_number"]).upper())
    if card["status"] == "issued":
        return f"卡号 {card['card_number']} 已是正常状态"
    profile = _station_profile(conn)
    if card["status"] == "lost" and profile is not None and not profile.formal_loss_liftable:
        raise DownlinkRejected(
            f"卡号 {card['card_number']} 已正式挂失，按规定不能解除挂失"
            f"（{profile.source.get('formal_loss_liftable', '')}），请办理补领"
        )
    move_card(conn, card, "issued", at=at, loss_expires_at="", loss_verbal=0, loss_source="")
    return f"卡号 {card['card_number']} 已在银行解除挂失（卡管系统下发）"


def on_operator_revoked(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    from offline.operators import revoke_operator

    username, reason = str(update.payload["username"]), str(update.payload.get("reason", ""))
    if not revoke_operator(conn, username, reason, at=at):
        raise DownlinkRejected(f"本站没有操作员账户 {username}")
    return f"操作员 {username} 已被停用：{reason}"


def on_profile_update(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """Validated with the strict parser before it is kept; a bad profile is never stored."""
    from offline.profiles import parse_profile, parse_update

    text = str(update.payload["toml"])
    row = conn.execute("SELECT value FROM settings WHERE key = 'province'").fetchone()
    profile = parse_profile(text) if row is None else parse_update(text, str(row[0]))
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (PROFILE_OVERRIDE_KEY, text),
    )
    return f"{profile.name_zh}业务参数已更新"


def on_calendar_update(conn: sqlite3.Connection, update: DownlinkUpdate, at: str) -> str:
    """Holiday arrangement for a year the library does not know (or a correction): calendar_days."""
    from datetime import date

    from offline.workdays import write_overrides

    rows = []
    for item in update.payload["days"]:
        day, is_workday, name = item[0], item[1], (item[2] if len(item) > 2 else "")
        rows.append((date.fromisoformat(_iso_day(str(day))), bool(is_workday), str(name)))
    if not rows:
        raise ValueError("days is empty")
    count = write_overrides(conn, rows, source="downlink")
    return f"工作日历已更新 {count} 天"


HANDLERS: dict[str, Handler] = {
    "application_result": on_application_result,
    "ack_status": on_ack_status,
    "card_produced": on_card_produced,
    "card_shipped": on_card_shipped,
    "bank_loss": on_bank_loss,
    "bank_loss_lifted": on_bank_loss_lifted,
    "operator_revoked": on_operator_revoked,
    "profile_update": on_profile_update,
    "calendar_update": on_calendar_update,
    "card_holder_verdict": card_in_hand.on_card_holder_verdict,  # R-HLD-3
    "roster_holder": roster.on_roster_holder,
    "roster_refresh": roster.on_roster_refresh,
    "walkin_result": walkins.on_walkin_result,
    "bank_change_decision": bank_change.on_decision,  # HN 24(3)-(4)
    "online_check_result": online_check.on_result,  # R-TMP-2
}
