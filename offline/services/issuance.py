"""Handing out produced cards (item 14): at the window and door to door.

Rules: R-ISS-3 read-card test (HB 15-16: check the document, read the chip, compare chip,
card face and record — a bad card is never handed out, it goes back for re-production),
R-ISS-4 the recipient signs (holder, or an agent with the receipt, HN 11(4)), R-ISS-5 a
temporary card is recycled first, or lost: fee + cancellation, damaged: fee + destruction
(HN 11(4)), R-ISS-7 door-to-door recipients (HN 11(11), HN 28(8)). On an exchange or
replacement the person's previous card is cancelled in the same transaction.

The read-card test and the 退回重制 business of a card that fails it are `read_card_test.py`;
`issue_card` raises its `CardReturned` (importable from here too) carrying that result.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.codes import REL_CHILD, REL_PARENT, REL_SPOUSE, RELATIONS
from offline.errors import DomainError, Problem, ValidationError
from offline.lifecycle import CARD_LABELS
from offline.permissions import require
from offline.services import fees, temp_cards
from offline.services.card_common import card_by_id, doc_problems
from offline.services.read_card_test import CardReturned, read_card_test, return_for_reproduction

__all__ = ["CardReturned", "IssueInput", "issue_card"]

MODES = {"window": "窗口发放", "door": "上门发放"}
RECIPIENTS = {"holder": "本人", "agent": "代领人", "guardian": "监护人", "relative": "亲属"}
#: R-ISS-7 door-to-door categories.
CATEGORIES = {
    "": "一般",
    "retired": "退休人员",
    "incapacitated": "无完全民事行为能力人",
    "migrant": "外出务工人员",
}
MIGRANT_RELATIONS = frozenset({REL_SPOUSE, REL_CHILD, REL_PARENT})
#: R-ISS-5 in the same transaction. Recycling needs the temporary card in the reader (R-TMP-3 erase),
#: so it is its own business (temp_cards.recycle_temp_card) done before this one.
TEMP_ACTIONS = {"": "无", "lost": "丢失注销", "damaged": "损坏销卡"}


@dataclass(frozen=True)
class IssueInput:
    card_id: int
    mode: str  # 'window' | 'door'
    holder_doc_number: str  # the holder's document (original, or its copy with an agent) — R-ID-1
    face_photo_ok: bool  # operator: photo present, clear, and it is the holder (R-ISS-3)
    face_text_ok: bool  # operator: printed text present, clear, and agrees with the record (R-ISS-3)
    signed: bool  # the recipient signed for the card (R-ISS-4)
    recipient: str = "holder"  # 'holder' | 'agent' | 'guardian' | 'relative'
    recipient_name: str = ""
    recipient_doc_number: str = ""
    recipient_relation: str = ""  # offline.codes.RELATIONS code
    receipt_shown: bool = False  # agent shows the application receipt (HN 11(4))
    category: str = ""  # R-ISS-7: '' | 'retired' | 'incapacitated' | 'migrant'
    temp_card_action: str = ""  # R-ISS-5: '' | 'lost' | 'damaged' (settled in the same transaction)
    fee_paid: bool = False  # R-ISS-5 / R-TMP-4: the lost/damaged temporary card's fee was collected
    fee_receipt_no: str = ""  # its 行政事业性收费票据 number (R-APP-10, HN 9, HN 11(4))
    face_note: str = ""  # what was wrong with the card face, when something was
    power_of_attorney: str = ""  # HN 11(4), 23(6): the 委托书 an agent brings (reference text)
    delivery_run_id: int | None = None


def _recipient_problems(inp: IssueInput) -> list[Problem]:
    """R-ISS-4 (who may sign) and R-ISS-7 (door-to-door recipients)."""
    out: list[Problem] = []
    if inp.mode not in MODES:
        out.append(
            Problem("mode", "R-ISS-4", f"发放方式“{inp.mode}”无效", "请选择窗口发放或上门发放。", "发放方式")
        )
    if inp.recipient not in RECIPIENTS:
        out.append(
            Problem(
                "recipient",
                "R-ISS-4",
                f"领卡人类型“{inp.recipient}”无效",
                "请选择本人、代领人、监护人或亲属。",
                "领卡人",
            )
        )
        return out
    if inp.category not in CATEGORIES:
        out.append(
            Problem(
                "category", "R-ISS-7", f"人员类别“{inp.category}”无效", "请重新选择人员类别。", "人员类别"
            )
        )
    if inp.recipient != "holder":
        if not inp.recipient_name.strip() or not inp.recipient_doc_number.strip():
            out.append(
                Problem(
                    "recipient_doc_number",
                    "R-ID-4",
                    "代领时须录入领卡人姓名和有效身份证件号码",
                    "请核验领卡人身份证件原件并录入。",
                    "领卡人证件",
                )
            )
        from offline.validation import id_number_problems

        out += id_number_problems(inp.recipient_doc_number, field="recipient_doc_number")
        if inp.recipient == "agent" and not inp.power_of_attorney.strip():
            out.append(
                Problem(
                    "power_of_attorney",
                    "R-ISS-4",
                    "代领人须提交持卡人的委托书（HN 11(4)、23(6)）",
                    "请收取持卡人签名的委托书，并登记委托书编号或名称。",
                    "委托书",
                )
            )
        if inp.recipient == "agent" and not inp.receipt_shown:
            out.append(
                Problem(
                    "receipt_shown",
                    "R-ISS-4",
                    "代领人未出示受理回执",
                    "代领须凭申领受理回执（HN 11(4)），请核验回执。",
                    "受理回执",
                )
            )
        if inp.recipient_relation and inp.recipient_relation not in RELATIONS:
            out.append(
                Problem("recipient_relation", "R-ISS-7", "与持卡人关系代码无效", "请重新选择关系。", "关系")
            )
    if inp.mode == "door" or inp.category:
        if inp.category == "retired" and inp.recipient != "holder":
            out.append(
                Problem(
                    "recipient",
                    "R-ISS-7",
                    "退休人员的卡须当面发放给本人（HN 11(11)）",
                    "请将卡交本人签收，本人不在时改日再送。",
                    "领卡人",
                )
            )
        if inp.category == "incapacitated" and inp.recipient != "guardian":
            out.append(
                Problem(
                    "recipient",
                    "R-ISS-7",
                    "无完全民事行为能力人的卡须发放给其监护人",
                    "请由监护人凭本人证件和监护关系证明签收。",
                    "领卡人",
                )
            )
        if inp.category == "migrant" and inp.recipient not in ("holder", "relative"):
            out.append(
                Problem(
                    "recipient",
                    "R-ISS-7",
                    "外出务工人员的卡只能由本人或其配偶、子女、父母代领",
                    "请由本人或配偶、子女、父母签收。",
                    "领卡人",
                )
            )
        if (
            inp.category == "migrant"
            and inp.recipient == "relative"
            and inp.recipient_relation not in MIGRANT_RELATIONS
        ):
            out.append(
                Problem(
                    "recipient_relation",
                    "R-ISS-7",
                    "外出务工人员的卡只能由配偶、子女或父母代领",
                    "请核实领卡人与持卡人的关系（配偶、子女、父母）。",
                    "关系",
                )
            )
    if inp.temp_card_action not in TEMP_ACTIONS:
        out.append(
            Problem(
                "temp_card_action",
                "R-ISS-5",
                "临时卡处理方式无效",
                "临时卡交回的，请先插入临时卡办理“临时卡回收”；丢失或损坏的，选择相应处理。",
                "临时卡",
            )
        )
    return out


def _previous_cards(conn: sqlite3.Connection, card: sqlite3.Row) -> list[sqlite3.Row]:
    """The card(s) this one replaces: the application's `replaces_card_id`, else the person's
    other cards still in use (issued / temporarily or formally lost)."""
    rows: list[sqlite3.Row] = []
    if card["application_id"] is not None:
        app = conn.execute("SELECT * FROM applications WHERE id = ?", (card["application_id"],)).fetchone()
        if app is not None and app["replaces_card_id"] is not None:
            old = conn.execute("SELECT * FROM cards WHERE id = ?", (app["replaces_card_id"],)).fetchone()
            if old is not None and old["status"] != "cancelled":
                rows.append(old)
    others = conn.execute(
        "SELECT * FROM cards WHERE person_id = ? AND id != ? AND status IN ('issued', 'temp_lost', 'lost')",
        (card["person_id"], card["id"]),
    ).fetchall()
    rows.extend(r for r in others if r["id"] not in {x["id"] for x in rows})
    return rows


def issue_card(ctx: ServiceContext, inp: IssueInput) -> BusinessResult:
    """Hand a produced card to its holder (or an allowed recipient). R-ISS-3, R-ISS-4, R-ISS-5, R-ISS-7.

    Raises `CardReturned` (after committing the return business) when the read-card test fails.
    """
    require(ctx.operator, "delivery.work" if inp.mode == "door" else "issue")
    require(ctx.operator, "issue")
    face_failed = not (inp.face_photo_ok and inp.face_text_ok)
    # A card whose face failed the check is not handed over (HB 16): who would collect it and
    # whether they signed does not matter, the return slip is what the holder gets.
    problems = (
        [p for p in _recipient_problems(inp) if p.field == "mode"]
        if face_failed
        else _recipient_problems(inp)
    )
    store = ctx.store
    card = store.one("SELECT * FROM cards WHERE id = ?", (inp.card_id,))
    if card is None:
        raise DomainError(
            Problem(
                "card_id",
                "R-ISS-1",
                f"找不到卡记录（编号 {inp.card_id}）",
                "请先查询，确认卡已入库。",
                "社保卡",
            )
        )
    person = store.one("SELECT * FROM persons WHERE id = ?", (card["person_id"],))
    assert person is not None
    problems += doc_problems(person, inp.holder_doc_number, rule="R-ISS-3")
    if card["status"] not in ("arrived", "unit_collected", "sealed"):
        raise DomainError(
            Problem(
                "card_id",
                "R-ISS-1",
                f"卡当前为“{CARD_LABELS.get(card['status'], card['status'])}”，不能发放",
                "只有已入库（或集体代领、封存）的卡可以发放；请先办理入库。",
                "卡状态",
            )
        )
    temp = temp_cards.holding_of(store, int(card["person_id"]))
    if temp is not None and not inp.temp_card_action and not face_failed:
        problems.append(
            Problem(
                "temp_card_action",
                "R-ISS-5",
                f"持卡人持有临时卡（卡号 {temp['card_number']}），须先回收临时卡",
                "请收回临时卡，插入读卡器办理“临时卡回收”后再发放；临时卡丢失或损坏的，"
                "选择“丢失注销”或“损坏销卡”并缴纳工本费。",
                "临时卡",
            )
        )
    if temp is not None and inp.temp_card_action in fees.TEMP_FEE_KEYS and not face_failed:
        # R-ISS-5: the same fee, payment and receipt-number check as the stand-alone R-TMP-4 business.
        fee = fees.temp_card_fee(ctx.profile, inp.temp_card_action)
        problems += fees.paid_fee_problems(fee, inp.fee_paid, inp.fee_receipt_no, rule="R-ISS-5")
    if temp is None and inp.temp_card_action:
        problems.append(
            Problem(
                "temp_card_action",
                "R-ISS-5",
                "持卡人没有在用的临时卡",
                "请将临时卡处理方式选为“无”。",
                "临时卡",
            )
        )
    if problems:
        raise ValidationError(problems)

    reasons, _chip = read_card_test(ctx, card, person, inp)
    if reasons:
        result = return_for_reproduction(ctx, inp.card_id, reasons)
        raise CardReturned(
            [
                Problem(
                    "card",
                    "R-ISS-3",
                    "读卡检测不合格，卡未发放，已退回重制：" + "；".join(reasons),
                    f"请告知持卡人重新制卡，退回单受理编号 {result.receipt_no}。",
                    "读卡检测",
                )
            ],
            result,
        )
    if not inp.signed:  # R-ISS-4: asked only now, for a card that passed and is handed over
        raise ValidationError(
            [
                Problem(
                    "signed",
                    "R-ISS-4",
                    "领卡人尚未签字确认",
                    "读卡检测合格；请领卡人在发放回执上签字后再确认。",
                    "领卡签字",
                )
            ]
        )

    with begin_business(ctx, "issue") as biz:
        conn = biz.conn
        card = card_by_id(conn, inp.card_id)  # re-read under the lock
        biz.move_card(card, "issued", issued_at=biz.at)
        cancelled: list[str] = []
        for old in _previous_cards(conn, card):
            biz.move_card(old, "cancelled")
            cancelled.append(str(old["card_number"]))
        fee, temp_done = 0, None
        if temp is not None:
            temp_done, fee = temp_cards.settle_for_formal_card(biz, temp, inp.temp_card_action)
        if card["application_id"] is not None:
            conn.execute(
                "UPDATE applications SET status = 'issued', updated_at = ? WHERE id = ?",
                (biz.at, card["application_id"]),
            )
        who = RECIPIENTS[inp.recipient] + (f"（{inp.recipient_name}）" if inp.recipient != "holder" else "")
        summary = f"{MODES[inp.mode]}：{person['name']} 卡号 {card['card_number']}，{who}签收"
        if cancelled:
            summary += f"，原卡 {'、'.join(cancelled)} 已注销"
        if temp_done:
            summary += f"，临时卡{TEMP_ACTIONS[inp.temp_card_action]}"
            if fee:
                summary += f"，收取工本费 {fee / 100:.2f} 元"
        details = {
            "action": "issue",
            "mode": inp.mode,
            "card_number": card["card_number"],
            "recipient": inp.recipient,
            "recipient_name": inp.recipient_name,
            "recipient_doc_number": inp.recipient_doc_number,
            "recipient_relation": inp.recipient_relation,
            "receipt_shown": inp.receipt_shown,
            "power_of_attorney": inp.power_of_attorney.strip(),
            "category": inp.category,
            "signed": inp.signed,
            "read_card_test": "passed",
            "previous_cards_cancelled": cancelled,
            "temp_card": temp_done or "",
            "temp_card_action": inp.temp_card_action,
            "fee_receipt_no": inp.fee_receipt_no.strip() if fee else "",
            "delivery_run_id": inp.delivery_run_id,
            "reminders": ["请持卡人及时激活社会保障功能（修改初始密码），金融功能须本人到银行网点激活。"],
            "rules": ["R-ISS-3", "R-ISS-4", "R-ISS-5", "R-ISS-7"],
        }
        return biz.commit(
            summary=summary,
            details=details,
            person_id=card["person_id"],
            card_id=card["id"],
            fee_fen=fee,
        )
