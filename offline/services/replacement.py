"""Item 2, replacement (补领) of a lost card; the exchange (换领) of a card in hand is `exchange.py`.

Rules: R-REP-1 replacement needs a formal loss first (HB 22, HN 23); R-REP-3 the financial account
is formally reported lost or cancelled first where the profile says so (HB 24; `renewal.py`);
R-REP-5 / R-APP-10 the cost fee from the profile (HN 9); R-APP-3 one person one card, allowing the
replacement of the card being replaced; R-ID-1 the holder's valid document.

Fees (R-APP-10, R-REP-5): HN 9 charges the cost fee on every 补卡 and 换卡 — expiry, cartoon and
key-information exchanges included — so every replacement pays `profile.fees_fen['replace']` and
every exchange `profile.fees_fen['exchange']`. HB states no fee, so the Hubei profile's amounts
are 0 until the province fills them in. A fee is recorded with its payment: the 行政事业性收费票据
number is required whenever an amount is charged (`fees.py`).

The lost card is cancelled by the replacement (CARD_MACHINE lost → cancelled). In an exchange the
old card stays valid until the new one is issued: issuance cancels it (`applications.replaces_card_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import Problem, ValidationError
from offline.services.applications import document_blobs
from offline.services.fees import fee_problems
from offline.services.persons import one_card_problems, store_photo
from offline.services.renewal import card_and_person, common_problems, document_problems, file_new_card


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
            blobs=document_blobs(inp.photo, inp.doc_scans),
        )
