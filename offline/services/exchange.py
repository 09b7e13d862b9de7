"""Item 2, exchange (换领) of a card the holder still has, and the exchange a key-information
change forces (R-INFO-1, `info_changes.py`).

Rules: R-REP-2 exchange reasons (HB 23, HN 24; expiry = 10 years from issue, HB 2); R-REP-3 the
financial account first where the profile says so (HB 24, `renewal.py`); R-REP-4 another bank only
after expiry, not while a rural pension bank contract is in force (HB 2), or with an approved bank
change (R-TRF-2, HN 24(3)); R-REP-5 / R-APP-10 the profile's cost fee on every 换卡 (HN 9) with
its 行政事业性收费票据 number; R-APP-3 one person one card, allowing the card being exchanged.

The old card stays valid until the new one is issued: issuance cancels it
(`applications.replaces_card_id`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import Business, begin_business
from offline.errors import Problem, ValidationError
from offline.services.applications import document_blobs
from offline.services.fees import fee_problems
from offline.services.persons import CardRecord, PersonRecord, age_years, one_card_problems, store_photo
from offline.services.renewal import card_and_person, common_problems, document_problems, file_new_card

EXCHANGE_REASONS = {
    "expiry": "有效期届满",
    "damage": "卡片损坏",
    "unreadable_face": "卡面污损、残缺无法辨认",
    "appearance_changed": "相貌与卡面照片发生显著变化",
    "key_info_changed": "关键信息变更",
    "cartoon_after_7": "卡通头像卡年满7周岁",
    "bank_change": "变更发卡银行",
}
#: Reasons that need a new photo of the holder (the card face will show it).
PHOTO_REASONS = frozenset({"appearance_changed", "cartoon_after_7"})


@dataclass(frozen=True)
class ExchangeInput:
    """换领 form. `bank` empty keeps the card's bank (R-APP-4)."""

    card_number: str
    reason: str  # a key of EXCHANGE_REASONS (R-REP-2)
    doc_number: str
    financial_account_closed: bool  # R-REP-3
    bank: str = ""
    rural_pension_contract: bool = False  # R-REP-4: new rural pension card with bank contract in force
    mode: str = "fast"
    channel: str = "local"
    mailing: bool = False
    photo: bytes | None = None
    doc_scans: tuple[bytes, ...] = ()
    fee_receipt_no: str = ""  # 行政事业性收费票据 number when a fee is charged (R-APP-10)


def card_expiry(card: CardRecord, validity_years: int) -> date | None:
    """The card's expiry: the chip's date, else issue date + validity (HB 2: 10 years from issue)."""
    if card.expiry_date:
        return date.fromisoformat(_dashed(card.expiry_date))
    if card.issue_date:
        issued = date.fromisoformat(_dashed(card.issue_date))
        try:
            return issued.replace(year=issued.year + validity_years)
        except ValueError:  # 29 February
            return issued.replace(year=issued.year + validity_years, day=28)
    return None


def _dashed(d: str) -> str:
    return d if "-" in d else f"{d[:4]}-{d[4:6]}-{d[6:8]}"


def exchange_problems(
    ctx: ServiceContext,
    inp: ExchangeInput,
    card: CardRecord,
    person: PersonRecord,
    today: date,
    *,
    from_key_info_change: bool = False,
) -> list[Problem]:
    """R-REP-2 reason checks, R-REP-4 bank choice, R-APP-4 bank list, R-APP-3."""
    problems: list[Problem] = []
    if inp.reason not in EXCHANGE_REASONS:
        problems.append(
            Problem(
                "reason",
                "R-REP-2",
                f"未知的换领原因“{inp.reason}”",
                "请选择：" + "、".join(EXCHANGE_REASONS.values()) + "。",
                "换领原因",
            )
        )
        return problems
    if card.status != "issued":
        problems.append(
            Problem(
                "card_number",
                "R-REP-2",
                f"此卡当前为“{card.status_label}”，不能换领",
                "换领只适用于已发放且正常使用的卡；丢失的卡请挂失后补领。",
                "卡状态",
            )
        )
    expiry = card_expiry(card, int(ctx.profile.card_validity_years))
    expired = expiry is not None and expiry <= today
    if inp.reason == "expiry" and not expired:
        when = expiry.isoformat() if expiry else "未知"
        problems.append(
            Problem(
                "reason",
                "R-REP-2",
                f"此卡有效期至 {when}，尚未到期",
                "卡片损坏等请选择相应原因；未到期不能以“有效期届满”换领。",
                "换领原因",
            )
        )
    if inp.reason == "cartoon_after_7":
        age = age_years(person.birth_date, today)
        if not card.cartoon:
            problems.append(
                Problem("reason", "R-REP-2", "此卡不是卡通头像卡", "请选择其他换领原因。", "换领原因")
            )
        elif age < int(ctx.profile.cartoon_age):
            problems.append(
                Problem(
                    "reason",
                    "R-REP-2",
                    f"持卡人现年 {age} 岁，未满 {ctx.profile.cartoon_age} 周岁",
                    "年满7周岁后再换领印有本人照片的卡。",
                    "换领原因",
                )
            )
    if inp.reason in PHOTO_REASONS and inp.photo is None:
        problems.append(
            Problem(
                "photo", "R-APP-2", "此换领原因须采集持卡人本人照片", "请拍摄或导入符合规格的照片。", "照片"
            )
        )
    if inp.reason == "key_info_changed" and not from_key_info_change:
        problems.append(
            Problem(
                "reason",
                "R-INFO-1",
                "关键信息变更引起的换领须在“关键信息变更”中办理",
                "请先办理关键信息变更，系统会同时生成换领申请。",
                "换领原因",
            )
        )
    new_bank = inp.bank.strip()
    if new_bank and new_bank != card.bank:
        if new_bank not in tuple(ctx.profile.banks):
            problems.append(
                Problem(
                    "bank",
                    "R-APP-4",
                    f"“{new_bank}”不是本省社会保障卡合作银行",
                    "请从合作银行中选择：" + "、".join(ctx.profile.banks) + "。",
                    "发卡银行",
                )
            )
        # A bank-change exchange is decided by its approved request (checked under the lock by
        # the caller); every other new bank needs an expired card (R-REP-4).
        other_reason = inp.reason != "bank_change"
        if other_reason and not expired:
            problems.append(
                Problem(
                    "bank",
                    "R-REP-4",
                    "卡片有效期内不能更换发卡银行",
                    "有效期内确需更换银行，请办理“发卡银行变更”申请，批准后再换领。",
                    "发卡银行",
                )
            )
        elif other_reason and inp.rural_pension_contract:
            problems.append(
                Problem(
                    "bank",
                    "R-REP-4",
                    "新农保卡的银行合作协议仍在有效期内，到期换卡不能更换银行",
                    "请继续选择原发卡银行。",
                    "发卡银行",
                )
            )
    problems += one_card_problems(ctx.store, person.id, replacing_card_id=card.id)
    return problems


def approved_bank_change(ctx: ServiceContext, person_id: int, card_id: int) -> sqlite3.Row | None:
    """The card centre's approval of a bank change for this card, not yet used (R-TRF-2)."""
    return ctx.store.one(
        "SELECT * FROM bank_change_requests WHERE person_id = ? AND card_id = ? AND status = 'approved'"
        " ORDER BY id DESC LIMIT 1",
        (person_id, card_id),
    )


def exchange_card(ctx: ServiceContext, inp: ExchangeInput) -> BusinessResult:
    """换领: file an 'exchange' application for a card the holder still has.

    Rules: R-REP-2, R-REP-3, R-REP-4, R-REP-5, R-APP-3, R-APP-4, R-ID-1, R-TRF-2 (HB 2, 23, 24; HN 9, 24).
    """
    with begin_business(ctx, "replace") as biz:
        card, person = card_and_person(ctx, inp.card_number)
        return exchange_in_transaction(biz, inp, card, person)


def exchange_in_transaction(
    biz: Business,
    inp: ExchangeInput,
    card: CardRecord,
    person: PersonRecord,
    *,
    from_key_info_change: bool = False,
    extra_details: dict[str, Any] | None = None,
    summary_prefix: str = "换领",
) -> BusinessResult:
    """The exchange checks and writes, inside the caller's business (also used by R-INFO-1)."""
    ctx, conn, at = biz.ctx, biz.conn, biz.at
    today = ctx.now().date()
    problems = [] if from_key_info_change else document_problems(person, inp.doc_number, today)
    problems += common_problems(
        ctx,
        mode=inp.mode,
        financial_account_closed=inp.financial_account_closed,
        photo=inp.photo,
        person=person,
        today=today,
    )
    problems += exchange_problems(ctx, inp, card, person, today, from_key_info_change=from_key_info_change)
    bank = inp.bank.strip() or card.bank
    request = None
    if inp.reason == "bank_change":
        request = approved_bank_change(ctx, person.id, card.id)
        if request is None:
            problems.append(
                Problem(
                    "reason",
                    "R-TRF-2",
                    "没有已批准的发卡银行变更申请",
                    "请先办理“发卡银行变更”申请，待省、市州社会保障卡服务中心复函批准后再换领。",
                    "换领原因",
                )
            )
        else:
            bank = str(request["new_bank"])
    fee = int(ctx.profile.fees_fen["exchange"]) if inp.reason in EXCHANGE_REASONS else 0  # HN 9: every 换卡
    problems += fee_problems(fee, inp.fee_receipt_no)
    if problems:
        raise ValidationError(problems)
    reason_zh = EXCHANGE_REASONS[inp.reason]
    details: dict[str, Any] = {
        "kind": "exchange",
        "reason": inp.reason,
        "reason_zh": reason_zh,
        "ssn": person.ssn,
        "name": person.name,
        "old_card_number": card.card_number,
        "old_bank": card.bank,
        "bank": bank,
        "mode": inp.mode,
        "channel": inp.channel,
        "financial_account_closed": inp.financial_account_closed,
        "fee_fen": fee,
        "fee_receipt_no": inp.fee_receipt_no.strip(),
        "old_card_valid_until_issue": True,
        **(extra_details or {}),
    }
    summary = f"{summary_prefix}（{reason_zh}）：{person.name}，原卡 {card.card_number} 领新卡时注销，{bank}"
    if fee:
        summary += f"，工本费 {fee / 100:.2f} 元"
    if inp.photo is not None:
        store_photo(conn, person.id, inp.photo, at=at)
    if request is not None:
        conn.execute(
            "UPDATE bank_change_requests SET status = 'used', updated_at = ? WHERE id = ?",
            (at, request["id"]),
        )
    file_new_card(
        ctx,
        conn,
        person=person,
        old=card,
        kind="exchange",
        reason=inp.reason,
        bank=bank,
        mode=inp.mode,
        channel=inp.channel,
        mailing=inp.mailing,
        business_id=biz.business_id,
        at=at,
    )
    return biz.commit(
        summary=summary,
        details=details,
        person_id=person.id,
        card_id=card.id,
        fee_fen=fee,
        blobs=document_blobs(inp.photo, inp.doc_scans),
    )
