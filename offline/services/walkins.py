"""Walk-ins the station does not know, with no card in hand (未登记持卡人，待卡管核实).

Why: a holder whose card was issued at a bank years ago, or who lives outside the station's
roster area, must still be able to stop a lost card today, offline. So these businesses are
accepted on 社会保障号码 + 姓名 + the identity document alone, and queued for the card management
system to check (`verify_state = 'pending'`, shown as 待卡管核实):

| item        | what the card management system does (sync.gateway.walkins)              |
|-------------|---------------------------------------------------------------------------|
| temp_loss   | 临时挂失 by phone (口头, R-LOSS-2) or at the window. Never refused for lack of a link: it protects the holder; an unmatched one is kept and checked by hand. |
| formal_loss | 正式挂失 (R-LOSS-1): needs the document; refused when no card can be lost  |
| replace     | 补领 (R-REP-1) only after a formal loss; refused otherwise                 |
| cancel      | 注销 (R-CAN-1); refused when the holder or card is unknown                 |
| query       | 查询 (R-INFO-3) by receipt number or SSN: answered by the holder's rows   |

The answer arrives on the downlink (`walkin_result`, `on_walkin_result`): confirmed → the
person and the catalogue's card are applied (`offline.roster.apply_rows`) and the business is
linked to that card; refused → the business is marked refused with the reason (nothing was done
to a card here, so nothing else needs undoing), and the operator sees an alert (`walkin_alerts`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.codes import CITIZEN_NUMBER_DOCS, DOC_TYPES, VALID_DOC_TYPES
from offline.errors import DomainError, Problem, ValidationError
from offline.permissions import require
from offline.validation.ids import ssn_birth_and_sex, validate_ssn
from offline.validation.names import name_problems

WALKIN_ITEMS: dict[str, str] = {
    "temp_loss": "临时挂失",
    "formal_loss": "正式挂失",
    "replace": "补领（正式挂失后）",
    "cancel": "注销",
    "query": "查询",
}
RULES = {
    "temp_loss": "R-LOSS-2",
    "formal_loss": "R-LOSS-1",
    "replace": "R-REP-1",
    "cancel": "R-CAN-1",
    "query": "R-INFO-3",
}
#: The documents a walk-in may show (R-ID-1), for the form's select.
WALKIN_DOC_TYPES: dict[str, str] = {c: DOC_TYPES[c] for c in DOC_TYPES if c in VALID_DOC_TYPES}
PENDING, CONFIRMED, REFUSED = "pending", "confirmed", "refused"
VERIFY_LABELS = {PENDING: "待卡管核实", CONFIRMED: "卡管已核实", REFUSED: "卡管退回"}
#: Items the regulation reverses when the card management system refuses them (no effect on a
#: card was made here, so reversing means: the business stands as refused, the holder is told).
REVERSED = frozenset({"formal_loss", "replace", "cancel"})


@dataclass(frozen=True)
class WalkinInput:
    item: str
    ssn: str
    name: str
    doc_type: str = "resident_id"
    doc_number: str = ""
    verbal: bool = False
    card_number: str = ""
    receipt_no: str = ""
    bank: str = ""
    reason: str = ""
    note: str = ""


def _problems(inp: WalkinInput) -> list[Problem]:
    rule = RULES.get(inp.item, "R-INFO-3")
    out: list[Problem] = []
    if inp.item not in WALKIN_ITEMS:
        out.append(
            Problem(
                "item",
                rule,
                f"业务“{inp.item}”不能按未登记持卡人办理",
                f"可办理：{'、'.join(WALKIN_ITEMS.values())}。",
                "业务",
            )
        )
        return out
    out += validate_ssn(inp.ssn)
    out += name_problems(inp.name)
    verbal = inp.item == "temp_loss" and inp.verbal
    if not verbal:
        if inp.doc_type not in VALID_DOC_TYPES:
            out.append(
                Problem(
                    "doc_type",
                    "R-ID-1",
                    f"证件类型“{inp.doc_type}”无效",
                    f"请选择：{'、'.join(DOC_TYPES[c] for c in VALID_DOC_TYPES)}。",
                    "证件类型",
                )
            )
        elif not inp.doc_number:
            out.append(
                Problem(
                    "doc_number",
                    rule,
                    "未填写证件号码",
                    "请查验本人有效身份证件并填写号码（电话挂失可选“口头挂失”）。",
                    "证件号码",
                )
            )
        elif inp.doc_type in CITIZEN_NUMBER_DOCS and inp.doc_number != inp.ssn:
            out.append(
                Problem(
                    "doc_number",
                    "R-ID-3",
                    "证件号码与社会保障号码不一致",
                    "居民身份证等证件的号码就是社会保障号码，请核对。",
                    "证件号码",
                )
            )
    if inp.item == "replace" and not inp.bank:
        out.append(Problem("bank", "R-APP-4", "未选择发卡银行", "请选择补领新卡的合作银行。", "发卡银行"))
    return out


def _person(conn: sqlite3.Connection, inp: WalkinInput, at: str) -> int:
    """The walk-in's person row: reused while it is still a walk-in, refused when the station knows them."""
    row = conn.execute("SELECT id, name, source FROM persons WHERE ssn = ?", (inp.ssn,)).fetchone()
    if row is not None:
        if row["source"] != "walkin":
            raise DomainError.one(
                "ssn",
                "R-INFO-3",
                f"本站已有社会保障号码 {inp.ssn} 的人员（{row['name']}）",
                "请在人员页或对应业务页按正常流程办理。",
                "社会保障号码",
            )
        return int(row["id"])
    birth, sex = ssn_birth_and_sex(inp.ssn)
    from offline.services.persons import name_initials

    cur = conn.execute(
        "INSERT INTO persons(ssn, name, name_initials, sex, birth_date, doc_type, doc_number, source,"
        " verify_state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'walkin', 'pending', ?, ?)",
        (
            inp.ssn,
            inp.name,
            name_initials(inp.name),
            sex,
            birth.isoformat(),
            inp.doc_type,
            inp.doc_number or inp.ssn,
            at,
            at,
        ),
    )
    return int(cur.lastrowid or 0)


def accept_walkin(ctx: ServiceContext, inp: WalkinInput) -> BusinessResult:
    """Accept one walk-in business offline, queued 待卡管核实 (see the module docstring)."""
    require(ctx.operator, "walkin")  # it queues a business, even a 查询: never the read-only auditor
    inp = WalkinInput(
        **{
            **inp.__dict__,
            "ssn": inp.ssn.strip().upper(),
            "name": inp.name.strip(),
            "doc_number": inp.doc_number.strip().upper(),
            "card_number": inp.card_number.strip().upper(),
            "receipt_no": inp.receipt_no.strip(),
        }
    )
    action = inp.item if inp.item in WALKIN_ITEMS else "query"
    require(ctx.operator, action)
    problems = _problems(inp)
    if problems:
        raise ValidationError(problems)
    with begin_business(ctx, inp.item, action=action) as biz:
        conn, at = biz.conn, biz.at
        if (
            inp.card_number
            and conn.execute("SELECT 1 FROM cards WHERE card_number = ?", (inp.card_number,)).fetchone()
        ):
            raise DomainError.one(
                "card_number",
                "R-INFO-3",
                f"本站有卡号 {inp.card_number} 的记录",
                "请在对应业务页按卡号办理。",
                "卡号",
            )
        person_id = _person(conn, inp, at)
        label = WALKIN_ITEMS[inp.item]
        summary = f"{label}：{inp.name}（未登记持卡人，待卡管核实）" + ("（口头）" if inp.verbal else "")
        details: dict[str, Any] = {
            "action": inp.item,
            "walkin": True,
            "ssn": inp.ssn,
            "name": inp.name,
            "doc_type": inp.doc_type,
            "doc_number": inp.doc_number,
            "verbal": bool(inp.verbal and inp.item == "temp_loss"),
            "card_number": inp.card_number,
            "receipt_no_asked": inp.receipt_no,
            "bank": inp.bank,
            "reason": inp.reason or ("lost" if inp.item == "replace" else ""),
            "note": inp.note,
            "rules": [RULES[inp.item]],
        }
        if inp.item == "temp_loss":
            details["reminder"] = "金融账户挂失请拨打发卡银行服务电话或到银行网点办理。"
        fee = 0
        if inp.item == "replace" and ctx.profile is not None:  # R-REP-5: the cost fee, refunded if refused
            fee = int(ctx.profile.fees_fen["replace"])
            details["fee_fen"] = fee
            summary += f"，工本费 {fee / 100:.2f} 元"
        conn.execute("UPDATE businesses SET verify_state = 'pending' WHERE id = ?", (biz.business_id,))
        return biz.commit(person_id=person_id, summary=summary, details=details, fee_fen=fee)


# --------------------------------------------------------------------------- downlink


def on_walkin_result(conn: sqlite3.Connection, update: Any, at: str) -> str:
    """Downlink `walkin_result` {receipt_no, accepted, reason, rows}: the card management system's check."""
    from offline.downlink import DownlinkRejected
    from offline.roster import apply_rows

    p = update.payload
    biz = conn.execute("SELECT * FROM businesses WHERE receipt_no = ?", (str(p["receipt_no"]),)).fetchone()
    if biz is None:
        raise DownlinkRejected(f"本站没有受理编号 {p['receipt_no']} 的业务")
    if biz["verify_state"] != PENDING:
        return f"受理编号 {biz['receipt_no']}：已核实过，无需重复处理"
    accepted, reason = bool(p["accepted"]), str(p.get("reason", ""))
    label = WALKIN_ITEMS.get(str(biz["item"]), str(biz["item"]))
    if not accepted:
        conn.execute(
            "UPDATE businesses SET verify_state = 'refused', remote_status = 'rejected', remote_reason = ?"
            " WHERE id = ?",
            (reason, biz["id"]),
        )
        conn.execute(
            "UPDATE persons SET verify_state = 'refused', verify_reason = ? WHERE id = ? AND source = 'walkin'"
            " AND verify_state != 'confirmed'",
            (reason, biz["person_id"]),
        )
        undone = "，业务已撤销" if biz["item"] in REVERSED else ""
        if int(biz["fee_fen"]):
            undone += f"，已收工本费 {int(biz['fee_fen']) / 100:.2f} 元应退还"
        return f"受理编号 {biz['receipt_no']}（{label}）：卡管系统退回{undone}，原因：{reason}"
    rows = [dict(r) for r in p.get("rows", [])]
    if rows:
        apply_rows(conn, rows, at)
    wanted = str(p.get("card_number", "")).upper()
    card = (
        conn.execute("SELECT id FROM cards WHERE card_number = ?", (wanted,)).fetchone() if wanted else None
    )
    conn.execute(
        "UPDATE businesses SET verify_state = 'confirmed', remote_status = 'accepted', remote_reason = ?,"
        " card_id = COALESCE(?, card_id) WHERE id = ?",
        (reason, None if card is None else card["id"], biz["id"]),
    )
    conn.execute(
        "UPDATE persons SET verify_state = 'confirmed', verify_reason = '' WHERE id = ?", (biz["person_id"],)
    )
    linked = f"，已关联卡号 {wanted}" if card is not None else ""
    return f"受理编号 {biz['receipt_no']}（{label}）：卡管系统已核实{linked}" + (
        f"（{reason}）" if reason else ""
    )


def walkin_alerts(store: Any) -> list[tuple[str, int, str, str]]:
    """(kind, count, Chinese message, severity) for the home screen's alerts."""
    out: list[tuple[str, int, str, str]] = []
    refused = store.query(
        "SELECT b.receipt_no, b.item, b.remote_reason, b.fee_fen, p.name FROM businesses b LEFT JOIN persons p"
        " ON p.id = b.person_id WHERE b.verify_state = 'refused' ORDER BY b.id DESC LIMIT 50"
    )
    if refused:
        r = refused[0]
        label = WALKIN_ITEMS.get(str(r["item"]), str(r["item"]))
        out.append(
            (
                "walkin_refused",
                len(refused),
                f"{len(refused)} 笔未登记持卡人业务被卡管系统退回，最近一笔：{r['name']} {label}"
                f"（受理编号 {r['receipt_no']}），原因：{r['remote_reason']}。请联系办理人"
                + (f"，退还工本费 {int(r['fee_fen']) / 100:.2f} 元。" if int(r["fee_fen"]) else "。"),
                "error",
            )
        )
    row = store.one("SELECT COUNT(*) FROM businesses WHERE verify_state = 'pending'")
    n = int(row[0]) if row is not None else 0
    if n:
        out.append(("walkin_pending", n, f"{n} 笔未登记持卡人业务待卡管核实", "info"))
    return out
