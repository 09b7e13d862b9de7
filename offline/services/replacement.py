"""Item 2, replacement (补领) of a lost card and exchange (换领) of a card the holder still has.

Rules: R-REP-1 replacement needs a formal loss first (HB 22, HN 23); R-REP-2 exchange reasons
(HB 23, HN 24); R-REP-3 the financial account is formally reported lost or cancelled first,
confirmed by the operator (HB 24); R-REP-4 another bank only after expiry, not while a rural
pension bank contract is in force (HB 2); R-REP-5 / R-APP-10 cost fee from the profile (HN 9);
R-APP-3 one person one card, allowing the in-flight exchange of the card being replaced.

Fees (R-APP-10, R-REP-5): HN 9 charges the cost fee on every 补卡 and 换卡 — expiry, cartoon and
key-information exchanges included — so every exchange pays `profile.fees_fen['exchange']` and
every replacement `profile.fees_fen['replace']`. HB states no fee, so the Hubei profile's amounts
are 0 until the province fills them in. A fee is recorded with its payment: the 行政事业性收费票据
number is required whenever an amount is charged.

Province scope: R-REP-3 (the financial account formally reported lost or cancelled first) is HB 24,
Hubei only; in Hunan the bank connects old and new accounts itself (HN 25). HB 6 (Hubei): an
in-person replacement or exchange is made instantly or fast, never in a batch. The document shown
must still be valid today (R-ID-1).

The lost card is cancelled by the replacement (CARD_MACHINE lost → cancelled). In an exchange the
old card stays valid until the new one is issued: issuance cancels it (`applications.replaces_card_id`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from offline.business import Blob, BusinessResult, ServiceContext
from offline.business_builder import Business, begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.services.applications import MODES, production_deadline
from offline.services.fees import fee_problems
from offline.services.persons import (
    CardRecord,
    PersonRecord,
    age_years,
    find_card,
    find_person,
    insert_application,
    one_card_problems,
    store_photo,
)
from offline.validation.documents import holder_document_problems

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

FIX_FIN = "请持卡人先到发卡银行办理金融账户正式挂失或注销，凭回执再来办理。"


@dataclass(frozen=True)
class ReplaceInput:
    """补领 form: the lost card, the document shown, the operator's R-REP-3 confirmation."""

    card_number: str
    doc_number: str  # number on the original document the holder shows (R-ID-1)
    financial_account_closed: bool  # R-REP-3: operator saw the bank's loss/cancel receipt
    mode: str = "fast"
    channel: str = "local"
    mailing: bool = False
    photo: bytes | None = None  # a new photo, when the holder brings one
    doc_scans: tuple[bytes, ...] = ()
    fee_receipt_no: str = ""  # 行政事业性收费票据 number when a fee is charged (R-APP-10)


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


def card_and_person(ctx: ServiceContext, card_number: str) -> tuple[CardRecord, PersonRecord]:
    """The card and its holder, or a Chinese refusal naming the card number."""
    card = find_card(ctx.store, card_number)
    if card is None:
        raise DomainError.one(
            "card_number",
            "R-REP-1",
            f"本站没有卡号为 {card_number} 的社会保障卡记录",
            "请核对卡号，或按社会保障号码查询此人的卡；不在本站名册的持卡人，按 Ctrl+W 按未登记持卡人办理（待卡管核实）。",
            "社会保障卡号",
        )
    person = find_person(ctx.store, card.person_id)
    assert person is not None  # cards.person_id is a foreign key
    return card, person


def document_problems(person: PersonRecord, doc_number: str, today: date | None = None) -> list[Problem]:
    """R-ID-1: the holder shows an original valid document of their own, still valid today."""
    problems = holder_document_problems(doc_number, person.doc_number, person.ssn)
    valid_to = (person.doc_valid_to or "").strip()
    if problems or today is None or not valid_to or valid_to[:10] >= today.isoformat():
        return problems
    return [
        Problem(
            "doc_number",
            "R-ID-1",
            f"持卡人登记的证件已于 {valid_to[:10]} 过期，不能凭过期证件办理",
            "请持卡人出示有效期内的证件；已换发新证的，先办理信息变更（证件有效期）再办理。",
            "证件号码",
        )
    ]


def common_problems(
    ctx: ServiceContext,
    *,
    mode: str,
    financial_account_closed: bool,
    photo: bytes | None,
    person: PersonRecord,
    today: date,
) -> list[Problem]:
    problems: list[Problem] = []
    if ctx.profile.in_person_instant_or_fast and mode == "batch":  # HB 6: in person = instant or fast
        problems.append(
            Problem(
                "mode",
                "R-APP-5",
                "本人现场补领、换领只能选择即时制卡或快速制卡（HB 6）",
                "请改选“即时制卡”或“快速制卡”。",
                "制卡方式",
            )
        )
    if ctx.profile.financial_account_closed_first and not financial_account_closed:  # HB 24; HN 25 not
        problems.append(
            Problem(
                "financial_account_closed",
                "R-REP-3",
                "未确认金融账户已正式挂失或注销，不予办理",
                FIX_FIN,
                "金融账户挂失/注销",
            )
        )
    if mode not in MODES:
        problems.append(
            Problem(
                "mode",
                "R-APP-5",
                f"未知的制卡方式“{mode}”",
                "请选择：" + "、".join(MODES.values()) + "。",
                "制卡方式",
            )
        )
    if photo is not None:
        from offline.validation import check_photo

        problems.extend(check_photo(photo, age_years=age_years(person.birth_date, today)))
    return problems


def file_new_card(
    ctx: ServiceContext,
    conn: sqlite3.Connection,
    *,
    person: PersonRecord,
    old: CardRecord,
    kind: str,
    reason: str,
    bank: str,
    mode: str,
    channel: str,
    mailing: bool,
    business_id: int,
    at: str,
) -> int:
    """Insert the replace/exchange application; rare-character names go provincial (R-APP-6)."""
    route = "provincial" if person.name_rare else "local"
    if route == "provincial" and mode == "instant":
        mode = "fast"
    return insert_application(
        conn,
        person_id=person.id,
        business_id=business_id,
        kind=kind,
        channel=channel,
        mode=mode,
        bank=bank,
        at=at,
        route=route,
        deadline=production_deadline(ctx, mode),
        reason=reason,
        replaces_card_id=old.id,
        mailing=mailing or route == "provincial",
    )


def _blobs(photo: bytes | None, scans: tuple[bytes, ...]) -> tuple[Blob, ...]:
    from offline.services.applications import document_blobs

    return document_blobs(photo, scans)


def replace_card(ctx: ServiceContext, inp: ReplaceInput) -> BusinessResult:
    """补领 a formally lost card: cancel it, file a 'replace' application, charge the fee.

    Rules: R-REP-1, R-REP-3, R-REP-5, R-APP-10, R-APP-3, R-ID-1 (HB 22, 24; HN 9, 23).
    """
    today = ctx.now().date()
    with begin_business(ctx, "replace") as biz:
        card, person = card_and_person(ctx, inp.card_number)
        problems = document_problems(person, inp.doc_number, today)
        problems += common_problems(
            ctx,
            mode=inp.mode,
            financial_account_closed=inp.financial_account_closed,
            photo=inp.photo,
            person=person,
            today=today,
        )
        if card.status == "temp_lost":
            problems.append(
                Problem(
                    "card_number",
                    "R-REP-1",
                    "此卡仅为临时挂失，补领前须先办理正式挂失",
                    "请先为此卡办理正式挂失，再办理补领。",
                    "卡状态",
                )
            )
        elif card.status != "lost":
            problems.append(
                Problem(
                    "card_number",
                    "R-REP-1",
                    f"此卡当前为“{card.status_label}”，未正式挂失，不能补领",
                    "卡片丢失请先办理正式挂失；卡片在手请办理换领。",
                    "卡状态",
                )
            )
        else:
            problems += one_card_problems(ctx.store, person.id, replacing_card_id=card.id)
        if problems:
            raise ValidationError(problems)
        fee = int(ctx.profile.fees_fen["replace"])
        problems += fee_problems(fee, inp.fee_receipt_no)
        if problems:
            raise ValidationError(problems)
        details: dict[str, Any] = {
            "kind": "replace",
            "ssn": person.ssn,
            "name": person.name,
            "old_card_number": card.card_number,
            "bank": card.bank,
            "mode": inp.mode,
            "channel": inp.channel,
            "financial_account_closed": inp.financial_account_closed,
            "fee_fen": fee,
            "fee_receipt_no": inp.fee_receipt_no.strip(),
        }
        biz.move_card(card, "cancelled")
        if inp.photo is not None:
            store_photo(biz.conn, person.id, inp.photo, at=biz.at)
        file_new_card(
            ctx,
            biz.conn,
            person=person,
            old=card,
            kind="replace",
            reason="lost",
            bank=card.bank,
            mode=inp.mode,
            channel=inp.channel,
            mailing=inp.mailing,
            business_id=biz.business_id,
            at=biz.at,
        )
        return biz.commit(
            summary=f"补领：{person.name}，原卡 {card.card_number} 注销，工本费 {fee / 100:.2f} 元",
            details=details,
            person_id=person.id,
            card_id=card.id,
            fee_fen=fee,
            blobs=_blobs(inp.photo, inp.doc_scans),
        )


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
        blobs=_blobs(inp.photo, inp.doc_scans),
    )
