"""Temporary social-security cards (item 15, HN 12 and HN 31): stock cycle, issue, recycle, loss, damage.

Rules: R-TMP-1 (eligibility: no formal card, or not yet collected; free), R-TMP-2 (documents,
online check or "pending" when offline, personal data written onto a pre-initialised card,
reminder to change the initial PIN), R-TMP-3 (recycle: body inspected, chip verified, data
erased, back to stock blank), R-TMP-4 (lost: fee + cancellation; damaged: fee + destruction),
R-TMP-5 (stock cycle, every move recorded with its operator).

A province without temporary cards (`profile.temp_cards` False, e.g. Hubei) gets a clear
refusal from every function here. Chip writes go through the write-intent journal
(offline.card_journal): begin → chip write → one transaction with the business and finish().
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from offline import card_journal
from offline.business import BusinessResult, ServiceContext
from offline.business_builder import Business, begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.lifecycle import TEMP_LABELS
from offline.protocols import CardError, ChipCard
from offline.services.card_common import (
    doc_problems,
    holder_for_person,
    person_by_id,
    read_chip,
    refuse,
    require_same_card,
    session,
    ymd,
)
from offline.services.fees import paid_fee_problems, temp_card_fee
from offline.services.temp_stock import (
    distribute,
    holding_of,
    put_in_stock,
    require_temp_cards,
    sign_in_temp_cards,
    take_out,
    temp_row,
    temp_stock_counts,
)

PIN_REMINDER = "请提醒领卡人修改初始社会保障密码，开启人力资源社会保障应用功能。"
ONLINE_CHECKS = {"passed": "联网核查通过", "pending": "离线受理，联网核查待补", "failed": "联网核查未通过"}


@dataclass(frozen=True)
class TempIssueInput:
    card_number: str  # the blank stock card in the reader
    person_id: int
    doc_number: str  # the holder's document shown (R-TMP-2)
    online_check: str  # 'passed' | 'pending' (offline) | 'failed'
    signed: bool  # the 业务办理表 was signed
    agent_name: str = ""
    agent_doc_number: str = ""


@dataclass(frozen=True)
class TempRecycleInput:
    card_number: str
    body_ok: bool  # R-TMP-3: the operator looked at the card body, it is intact
    signed: bool = True


@dataclass(frozen=True)
class TempCloseInput:
    """Lost (R-TMP-4 cancellation) or damaged (R-TMP-4 destruction) temporary card."""

    card_number: str
    doc_number: str
    fee_paid: bool
    fee_receipt_no: str = ""  # 行政事业性收费票据 number of the fee (R-APP-10, HN 9)


__all__ = [
    "TempCloseInput",
    "TempIssueInput",
    "TempRecycleInput",
    "cancel_lost_temp_card",
    "destroy_damaged_temp_card",
    "distribute",
    "holding_of",
    "issue_temp_card",
    "put_in_stock",
    "recycle_temp_card",
    "sign_in_temp_cards",
    "take_out",
    "temp_stock_counts",
]


# --------------------------------------------------------------------------- issue (R-TMP-1, R-TMP-2)


def _eligibility(conn: sqlite3.Connection, person_id: int) -> list[Problem]:
    """R-TMP-1: no formal card in the holder's hands, and no temporary card already issued."""
    problems: list[Problem] = []
    held = conn.execute(
        "SELECT card_number FROM cards WHERE person_id = ? AND status IN ('issued', 'temp_lost')",
        (person_id,),
    ).fetchone()
    if held is not None:
        problems.append(
            Problem(
                "person_id",
                "R-TMP-1",
                f"此人已领取正式社会保障卡（卡号 {held[0]}）",
                "临时卡只发给未申领或已申领未领取正式卡的人员（HN 12）。",
                "持卡人",
            )
        )
    temp = conn.execute(
        "SELECT card_number FROM temp_cards WHERE person_id = ? AND state IN ('issued', 'personalised')",
        (person_id,),
    ).fetchone()
    if temp is not None:
        problems.append(
            Problem(
                "person_id",
                "R-TMP-1",
                f"此人已持有临时卡（卡号 {temp[0]}）",
                "请先回收或注销原临时卡。",
                "持卡人",
            )
        )
    return problems


def _resolve_pending_first(ctx: ServiceContext, chip: ChipCard) -> None:
    """A card with an unresolved write is resolved before any new write (never guessed)."""
    if card_journal.pending(ctx.store, card_number=chip.card_number):
        lines = card_journal.resolve_on_insert(ctx, chip)
        refuse(
            "card",
            "R-TMP-5",
            "该卡有未完成的写卡记录，已先行处理：" + "；".join(lines),
            "请核对处理结果后重新办理。",
            "临时卡",
        )


def issue_temp_card(ctx: ServiceContext, inp: TempIssueInput) -> BusinessResult:
    """Personalise a blank stock card for the holder and hand it out, free. R-TMP-1, R-TMP-2 (HN 12)."""
    require_temp_cards(ctx)
    problems: list[Problem] = []
    if inp.online_check not in ONLINE_CHECKS:
        problems.append(
            Problem("online_check", "R-TMP-2", "联网核查结果无效", "请选择核查结果。", "联网核查")
        )
    elif inp.online_check == "failed":
        problems.append(
            Problem(
                "online_check",
                "R-TMP-2",
                "卡管系统联网核查未通过，不能发临时卡",
                "请核实持卡人信息后再办理。",
                "联网核查",
            )
        )
    if not inp.signed:
        problems.append(
            Problem("signed", "R-TMP-2", "办理人尚未在业务办理表上签字", "请办理人核实签字后再确认。", "签字")
        )
    store = ctx.store
    conn = store.connection()
    person = person_by_id(conn, inp.person_id)
    problems += doc_problems(person, inp.doc_number, rule="R-TMP-2")
    if inp.agent_doc_number.strip():
        from offline.validation import id_number_problems

        problems += id_number_problems(inp.agent_doc_number, field="agent_doc_number")
    problems += _eligibility(conn, inp.person_id)
    temp = temp_row(conn, inp.card_number)
    if temp["state"] not in ("in_stock", "out_of_stock"):
        problems.append(
            Problem(
                "card_number",
                "R-TMP-5",
                f"临时卡 {inp.card_number} 当前为“{TEMP_LABELS.get(temp['state'], temp['state'])}”，不能写卡发放",
                "请选择在库的空白临时卡。",
                "临时卡卡号",
            )
        )
    if problems:
        raise ValidationError(problems)
    card = session(ctx, "R-TMP-2")
    chip = read_chip(ctx, "R-TMP-2")
    require_same_card(chip, inp.card_number, "R-TMP-2")
    _resolve_pending_first(ctx, chip)
    if chip.holder is not None or chip.issue_date:
        refuse(
            "card",
            "R-TMP-2",
            f"临时卡 {inp.card_number} 芯片内已有持卡人数据，不是空白卡",
            "请换一张空白临时卡；此卡请办理回收擦除。",
            "临时卡",
        )
    holder = holder_for_person(person)
    today = ctx.now().date()
    valid_until = today + timedelta(days=int(ctx.profile.temp_card_valid_days))
    after = {
        "holder": card_journal.holder_to_dict(holder),
        "issue_date": ymd(today),
        "expiry_date": ymd(valid_until),
    }
    journal_id = card_journal.begin(
        store,
        card_number=inp.card_number,
        op="personalise",
        operator_id=ctx.operator.id,
        intent={"service": "temp_card.issue", "before": None, "after": after, "input": asdict(inp)},
    )
    try:
        back = card.personalise(holder, ymd(today), ymd(valid_until))
    except CardError as exc:
        raise DomainError(
            Problem(
                "card",
                "R-TMP-2",
                f"写卡未完成：{exc.message_zh}",
                "业务未办结。请重新插入该临时卡，系统将核对卡内数据并自动处理（写卡记录已保存）。",
                "临时卡",
            )
        ) from exc
    entry = card_journal.get(store, journal_id)
    assert entry is not None
    if back.card_number != inp.card_number or card_journal.classify(entry, back) != "complete":
        raise DomainError(
            Problem(
                "card",
                "R-TMP-2",
                "写卡后读回的数据与应写入的不一致",
                "业务未办结。请重新插入该临时卡，系统将核对并处理。",
                "临时卡",
            )
        )
    with begin_business(ctx, "temp_card") as biz:
        card_journal.finish(biz.conn, journal_id, "写卡核对一致，业务已办结", business_id=biz.business_id)
        return _commit_issue(biz, inp, journal_id, after)


def _commit_issue(
    biz: Business, inp: TempIssueInput, journal_id: int, after: dict[str, Any]
) -> BusinessResult:
    """Domain rows + business of a verified personalisation (also used when finishing from the journal)."""
    conn = biz.conn
    temp = temp_row(conn, inp.card_number)
    person = person_by_id(conn, inp.person_id)
    exp = str(after["expiry_date"])
    valid_until = f"{exp[:4]}-{exp[4:6]}-{exp[6:]}"
    state: dict[str, Any] = dict(temp)
    for target in (["out_of_stock"] if state["state"] == "in_stock" else []) + ["personalised", "issued"]:
        biz.move_temp_card(state, target)
        state["state"] = target
    conn.execute(
        "UPDATE temp_cards SET person_id = ?, valid_until = ? WHERE id = ?",
        (inp.person_id, valid_until, temp["id"]),
    )
    details = {
        "action": "issue",
        "journal_id": journal_id,
        "card_number": inp.card_number,
        "ssn": person["ssn"],
        "name": person["name"],
        "valid_until": valid_until,
        "online_check": inp.online_check,
        "online_check_pending": inp.online_check == "pending",
        "agent_name": inp.agent_name,
        "agent_doc_number": inp.agent_doc_number,
        "reminder": PIN_REMINDER,
        "rules": ["R-TMP-1", "R-TMP-2"],
    }
    return biz.commit(
        person_id=inp.person_id,
        fee_fen=0,
        details=details,
        summary=f"临时卡发放：{person['name']} 卡号 {inp.card_number}，有效期至 {valid_until}（免费）",
    )


def finish_issue_from_journal(
    ctx: ServiceContext, conn: sqlite3.Connection, entry: card_journal.JournalEntry, card: ChipCard
) -> BusinessResult:
    """card_journal finisher: the chip holds the intended holder, finish the business from the journal."""
    inp = TempIssueInput(**entry.intent["input"])
    with begin_business(ctx, "temp_card", by_station=True) as biz:  # joins `conn`'s transaction
        return _commit_issue(biz, inp, entry.id, entry.intent["after"])


# --------------------------------------------------------------------------- recycle (R-TMP-3)


def recycle_temp_card(ctx: ServiceContext, inp: TempRecycleInput) -> BusinessResult:
    """Take a temporary card back: body inspected, chip verified, data erased, card back in stock. R-TMP-3."""
    require_temp_cards(ctx)
    if not inp.body_ok:
        raise ValidationError(
            [
                Problem(
                    "body_ok", "R-TMP-3", "未确认卡体完好", "卡体损坏的临时卡请办理“损坏销卡”。", "卡体检查"
                )
            ]
        )
    store = ctx.store
    temp = temp_row(store.connection(), inp.card_number)
    if temp["state"] not in ("issued", "personalised"):
        refuse(
            "card_number",
            "R-TMP-3",
            f"临时卡 {inp.card_number} 当前为“{TEMP_LABELS.get(temp['state'], temp['state'])}”，不能回收",
            "只有已发放的临时卡可以回收。",
            "临时卡卡号",
        )
    card = session(ctx, "R-TMP-3")
    chip = read_chip(ctx, "R-TMP-3")
    require_same_card(chip, inp.card_number, "R-TMP-3")
    _resolve_pending_first(ctx, chip)
    try:
        genuine = card.check_genuine()
    except CardError as exc:
        raise DomainError(
            Problem(
                "card",
                "R-TMP-3",
                f"芯片校验失败：{exc.message_zh}",
                "请重新插卡；芯片损坏的请办理“损坏销卡”。",
                "芯片校验",
            )
        ) from exc
    if not genuine:
        refuse("card", "R-TMP-3", "芯片校验未通过", "芯片损坏或非本系统卡片，请办理“损坏销卡”。", "芯片校验")
    before = {
        "holder": card_journal.holder_to_dict(chip.holder),
        "issue_date": chip.issue_date,
        "expiry_date": chip.expiry_date,
    }
    journal_id = card_journal.begin(
        store,
        card_number=inp.card_number,
        op="erase",
        operator_id=ctx.operator.id,
        intent={"service": "temp_card.recycle", "before": before, "after": None, "input": asdict(inp)},
    )
    try:
        back = card.erase()
    except CardError as exc:
        raise DomainError(
            Problem(
                "card",
                "R-TMP-3",
                f"擦除未完成：{exc.message_zh}",
                "业务未办结。请重新插入该临时卡，系统将按写卡记录重新擦除。",
                "临时卡",
            )
        ) from exc
    if back.card_number != inp.card_number or back.holder is not None or back.issue_date:
        raise DomainError(
            Problem("card", "R-TMP-3", "擦除后读回不是空白卡", "业务未办结。请重新插入该临时卡。", "临时卡")
        )
    with begin_business(ctx, "temp_card") as biz:
        card_journal.finish(biz.conn, journal_id, "擦除核对为空白，业务已办结", business_id=biz.business_id)
        return _commit_recycle(biz, inp, journal_id)


def _commit_recycle(biz: Business, inp: TempRecycleInput, journal_id: int) -> BusinessResult:
    temp = temp_row(biz.conn, inp.card_number)
    state: dict[str, Any] = dict(temp)
    for target in ("recycled", "in_stock"):
        biz.move_temp_card(state, target)
        state["state"] = target
    biz.conn.execute("UPDATE temp_cards SET person_id = NULL, valid_until = '' WHERE id = ?", (temp["id"],))
    return biz.commit(
        person_id=temp["person_id"],
        fee_fen=0,
        summary=f"临时卡回收：卡号 {inp.card_number}，已清除卡内个人信息并入库",
        details={
            "action": "recycle",
            "journal_id": journal_id,
            "card_number": inp.card_number,
            "social_security_application_cancelled": True,
            "body_ok": inp.body_ok,
            "rules": ["R-TMP-3", "R-TMP-5"],
        },
    )


def finish_recycle_from_journal(
    ctx: ServiceContext, conn: sqlite3.Connection, entry: card_journal.JournalEntry, card: ChipCard
) -> BusinessResult:
    """card_journal finisher: the chip reads blank, finish the recycle from the journal."""
    with begin_business(ctx, "temp_card", by_station=True) as biz:  # joins `conn`'s transaction
        return _commit_recycle(biz, TempRecycleInput(**entry.intent["input"]), entry.id)


# --------------------------------------------------------------------------- lost / damaged (R-TMP-4)


def _close(ctx: ServiceContext, inp: TempCloseInput, to_state: str) -> BusinessResult:
    require_temp_cards(ctx)
    action, what = ("lost", "丢失注销") if to_state == "cancelled" else ("damaged", "损坏销卡")
    fee = temp_card_fee(ctx.profile, action)
    problems = paid_fee_problems(fee, inp.fee_paid, inp.fee_receipt_no, rule="R-TMP-4")
    with begin_business(ctx, "temp_card") as biz:
        conn = biz.conn
        temp = temp_row(conn, inp.card_number)
        if temp["person_id"] is None:
            refuse(
                "card_number",
                "R-TMP-4",
                f"临时卡 {inp.card_number} 未发放给任何人",
                "请核对卡号。",
                "临时卡卡号",
            )
        person = person_by_id(conn, int(temp["person_id"]))
        problems += doc_problems(person, inp.doc_number, rule="R-TMP-4")
        if problems:
            raise ValidationError(problems)
        _, fee = _settle(biz, temp, to_state)
        return biz.commit(
            person_id=temp["person_id"],
            fee_fen=fee,
            summary=f"临时卡{what}：{person['name']} 卡号 {inp.card_number}，收取工本费 {fee / 100:.2f} 元",
            details={
                "action": "lost_cancel" if to_state == "cancelled" else "damaged_destroy",
                "card_number": inp.card_number,
                "fee_receipt_no": inp.fee_receipt_no.strip(),
                "social_security_application_cancelled": True,
                "rules": ["R-TMP-4"],
            },
        )


def _settle(biz: Business, temp: sqlite3.Row, to_state: str) -> tuple[str, int]:
    """Cancel or destroy a temporary card inside `biz`; returns (its number, the fee in fen)."""
    biz.move_temp_card(temp, to_state)
    return str(temp["card_number"]), temp_card_fee(
        biz.ctx.profile, "lost" if to_state == "cancelled" else "damaged"
    )


def cancel_lost_temp_card(ctx: ServiceContext, inp: TempCloseInput) -> BusinessResult:
    """A lost temporary card: fee `fees_fen['temp_lost']` + cancellation. R-TMP-4 (HN 12)."""
    return _close(ctx, inp, "cancelled")


def destroy_damaged_temp_card(ctx: ServiceContext, inp: TempCloseInput) -> BusinessResult:
    """A damaged temporary card: fee `fees_fen['temp_damaged']` + destruction on the spot. R-TMP-4."""
    return _close(ctx, inp, "destroyed")


def settle_for_formal_card(biz: Business, temp: sqlite3.Row, action: str) -> tuple[str, int]:
    """R-ISS-5 inside the formal card's issuance business: 'lost' → cancelled, 'damaged' → destroyed.

    Returns (temporary card number, fee in fen); the move is linked to the issuance business.
    """
    if action not in ("lost", "damaged"):
        raise ValueError(action)
    return _settle(biz, temp, "cancelled" if action == "lost" else "destroyed")
