"""Social-security function activation and the social-security PIN (items 4, 8, 9, 10).

Rules: R-PIN-1 (activation needs the holder's authorisation, HB 19; the financial account is
activated only at the bank — the receipt says so), R-PIN-2 (the station handles only the
social-security PIN), R-PIN-3 (activation = changing the province's initial PIN to a new PIN
typed twice, HN 13), R-PIN-4 (change, reset and unlock need the physical card at a service
point, HB 20-21, HN 15), R-PIN-5 (warn about birth date or phone number as PIN, HN 14),
R-PIN-6 (PIN digits are never stored, logged or queued: they go from the form to the card
session and nowhere else — the input dataclasses even hide them from repr()).

Before any PIN work the chip's card number must equal the record's: a foreign card is refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.lifecycle import CARD_LABELS
from offline.permissions import require
from offline.protocols import CardError, CardSession
from offline.services.card_common import doc_problems, read_chip, refuse, require_same_card, session
from offline.validation import check_new_pin

BANK_REMINDER = "金融账户须持卡人本人携带身份证件到发卡银行网点激活（HB 18-19）。"


@dataclass(frozen=True)
class ActivateInput:
    card_id: int
    doc_number: str
    holder_authorised: bool  # R-PIN-1: the holder asked for it in person (or authorised it in writing)
    new_pin: str = field(repr=False)
    new_pin_again: str = field(repr=False)


@dataclass(frozen=True)
class PinChangeInput:
    card_id: int
    old_pin: str = field(repr=False)
    new_pin: str = field(repr=False)
    new_pin_again: str = field(repr=False)


@dataclass(frozen=True)
class PinResetInput:
    card_id: int
    doc_number: str
    new_pin: str = field(repr=False)
    new_pin_again: str = field(repr=False)


@dataclass(frozen=True)
class PinUnlockInput:
    card_id: int
    doc_number: str


def _card_and_person(ctx: ServiceContext, card_id: int, rule: str) -> tuple[sqlite3.Row, sqlite3.Row]:
    card = ctx.store.one("SELECT * FROM cards WHERE id = ?", (card_id,))
    if card is None:
        refuse("card_id", rule, f"找不到卡记录（编号 {card_id}）", "请先查询持卡人的卡。", "社保卡")
    if card["status"] != "issued":
        refuse(
            "card_id",
            rule,
            f"卡当前为“{CARD_LABELS.get(card['status'], card['status'])}”，不能办理密码业务",
            "只有已发放且未挂失的卡可以办理；挂失的卡请先解挂。",
            "卡状态",
        )
    person = ctx.store.one("SELECT * FROM persons WHERE id = ?", (card["person_id"],))
    assert person is not None
    return card, person


def _new_pin(
    ctx: ServiceContext, person: sqlite3.Row, new: str, again: str
) -> tuple[list[Problem], list[str]]:
    """R-PIN-3 (six digits, typed twice, not the province's initial PIN) and R-PIN-5 warnings."""
    initial = ctx.profile.initial_pin or None
    problems, warnings = check_new_pin(
        new,
        again,
        birth_date=date.fromisoformat(str(person["birth_date"])),
        phone=str(person["phone"]),
        initial_pin=initial,
    )
    return list(problems), [str(w) for w in warnings]


def _chip(ctx: ServiceContext, card: sqlite3.Row, rule: str) -> CardSession:
    """The physical card must be in the reader and be this record's card (R-PIN-4)."""
    sess = session(ctx, rule)
    require_same_card(read_chip(ctx, rule), str(card["card_number"]), rule)
    return sess


def _mark_locked(ctx: ServiceContext, card_id: int) -> None:
    """Remember that the chip reported the PIN blocked (for the home screen), outside any business."""
    with ctx.store.write() as conn:
        conn.execute("UPDATE cards SET pin_locked = 1, updated_at = ? WHERE id = ?", (ctx.now_iso(), card_id))


def _pin_error(
    ctx: ServiceContext, card_id: int, exc: CardError, rule: str, *, old_label: str
) -> DomainError:
    if exc.code == "wrong_pin":
        left = exc.tries_left
        more = f"，还可尝试 {left} 次" if left is not None else ""
        return DomainError(
            Problem(
                "old_pin",
                rule,
                f"{old_label}错误{more}",
                "请持卡人重新输入；忘记密码的请办理密码重置。",
                old_label,
            )
        )
    if exc.code == "pin_blocked":
        _mark_locked(ctx, card_id)
        return DomainError(
            Problem(
                "old_pin", "R-PIN-4", "密码已锁定", "请持卡人携带身份证件办理密码解锁或密码重置。", old_label
            )
        )
    return DomainError(
        Problem(
            "card",
            rule,
            f"读写卡失败：{exc.message_zh}",
            "请检查卡片与读卡器后重试；未办理任何业务。",
            "实体卡",
        )
    )


def activate(ctx: ServiceContext, inp: ActivateInput) -> BusinessResult:
    """Activate the social-security function by changing the initial PIN. R-PIN-1, R-PIN-3, R-PIN-5, R-PIN-6."""
    require(ctx.operator, "activate")
    card, person = _card_and_person(ctx, inp.card_id, "R-PIN-1")
    problems: list[Problem] = []
    if not inp.holder_authorised:
        problems.append(
            Problem(
                "holder_authorised",
                "R-PIN-1",
                "未经持卡人授权不得激活社会保障功能（HB 19）",
                "请持卡人本人确认授权后再办理。",
                "持卡人授权",
            )
        )
    if card["social_active"]:
        problems.append(
            Problem("card_id", "R-PIN-3", "该卡社会保障功能已激活", "如需改密码请办理密码修改。", "社保卡")
        )
    problems += doc_problems(person, inp.doc_number, rule="R-PIN-1")
    pin_problems, warnings = _new_pin(ctx, person, inp.new_pin, inp.new_pin_again)
    problems += pin_problems
    if problems:
        raise ValidationError(problems)
    chip = _chip(ctx, card, "R-PIN-4")
    try:
        chip.change_pin(str(ctx.profile.initial_pin), inp.new_pin)
    except CardError as exc:
        raise _pin_error(ctx, inp.card_id, exc, "R-PIN-3", old_label="初始密码") from exc
    return _record(
        ctx,
        "activate",
        card,
        person,
        "社会保障功能激活",
        note="（已修改初始密码）",
        card_update="social_active = 1, pin_locked = 0",
        holder_authorised=True,
        warnings=warnings,
        reminder=BANK_REMINDER,
        rules=["R-PIN-1", "R-PIN-3", "R-PIN-5"],
    )


def _record(
    ctx: ServiceContext,
    item: str,
    card: sqlite3.Row,
    person: sqlite3.Row,
    what: str,
    *,
    note: str = "",
    card_update: str = "",
    **details: Any,
) -> BusinessResult:
    """The business after the chip accepted the PIN work: card flags, then the record (R-SEC-3).

    `details` never carries PIN digits (R-PIN-6; commit_business refuses PIN fields). The
    services check permission before touching the chip; `begin_business` checks it again in
    the transaction like every other business.
    """
    with begin_business(ctx, item) as biz:
        if card_update:  # fixed column assignments from this module, never operator input
            biz.conn.execute(
                f"UPDATE cards SET {card_update}, updated_at = ? WHERE id = ?", (biz.at, card["id"])
            )
        return biz.commit(
            person_id=card["person_id"],
            card_id=card["id"],
            summary=f"{what}：{person['name']} 卡号 {card['card_number']}{note}",
            details={"action": item, "card_number": card["card_number"], **details},
        )


def change_pin(ctx: ServiceContext, inp: PinChangeInput) -> BusinessResult:
    """修改: old PIN verified by the card itself; shows tries left, sends a blocked PIN to unlock/reset. R-PIN-4."""
    require(ctx.operator, "pin_change")
    card, person = _card_and_person(ctx, inp.card_id, "R-PIN-4")
    problems, warnings = _new_pin(ctx, person, inp.new_pin, inp.new_pin_again)
    if not inp.old_pin:
        problems.append(Problem("old_pin", "R-PIN-4", "未输入原密码", "请持卡人输入原密码。", "原密码"))
    if problems:
        raise ValidationError(problems)
    chip = _chip(ctx, card, "R-PIN-4")
    try:
        state = chip.pin_state()
        if state.blocked:
            _mark_locked(ctx, inp.card_id)
            refuse(
                "old_pin", "R-PIN-4", "密码已锁定", "请持卡人携带身份证件办理密码解锁或密码重置。", "原密码"
            )
        chip.change_pin(inp.old_pin, inp.new_pin)
    except CardError as exc:
        raise _pin_error(ctx, inp.card_id, exc, "R-PIN-4", old_label="原密码") from exc
    return _record(
        ctx, "pin_change", card, person, "社会保障密码修改", warnings=warnings, rules=["R-PIN-4", "R-PIN-5"]
    )


def reset_pin(ctx: ServiceContext, inp: PinResetInput) -> BusinessResult:
    """重置: the holder's document at a service point and the physical card; sets a new PIN. R-PIN-4."""
    require(ctx.operator, "pin_reset")
    card, person = _card_and_person(ctx, inp.card_id, "R-PIN-4")
    problems = doc_problems(person, inp.doc_number, rule="R-PIN-4")
    pin_problems, warnings = _new_pin(ctx, person, inp.new_pin, inp.new_pin_again)
    problems += pin_problems
    if problems:
        raise ValidationError(problems)
    chip = _chip(ctx, card, "R-PIN-4")
    try:
        chip.reload_pin(inp.new_pin)
    except CardError as exc:
        raise _pin_error(ctx, inp.card_id, exc, "R-PIN-4", old_label="密码") from exc
    return _record(
        ctx,
        "pin_reset",
        card,
        person,
        "社会保障密码重置",
        card_update="pin_locked = 0",
        doc_checked=True,
        warnings=warnings,
        rules=["R-PIN-4", "R-PIN-5"],
    )


def unlock_pin(ctx: ServiceContext, inp: PinUnlockInput) -> BusinessResult:
    """解锁: reset the try counter, keep the PIN; needs the document and the physical card. R-PIN-4."""
    require(ctx.operator, "pin_unlock")
    card, person = _card_and_person(ctx, inp.card_id, "R-PIN-4")
    problems = doc_problems(person, inp.doc_number, rule="R-PIN-4")
    if problems:
        raise ValidationError(problems)
    chip = _chip(ctx, card, "R-PIN-4")
    try:
        chip.unblock_pin()
    except CardError as exc:
        raise _pin_error(ctx, inp.card_id, exc, "R-PIN-4", old_label="密码") from exc
    return _record(
        ctx,
        "pin_unlock",
        card,
        person,
        "社会保障密码解锁",
        card_update="pin_locked = 0",
        doc_checked=True,
        rules=["R-PIN-4"],
    )
