"""What 补领 (replacement) and 换领 (exchange) share, and the key-information exchange with them.

The card and its holder, the holder's own valid document (R-ID-1), the checks every new card for
an old one makes (R-APP-5 production mode, HB 6 where the profile's `in_person_instant_or_fast`
is set; R-REP-3 the financial account first, HB 24 where `financial_account_closed_first` is set,
while in Hunan the bank connects old and new accounts itself, HN 25; R-APP-2 the photo), and
filing the new card's application (R-APP-6: rare-character names go to the provincial centre).
`replacement.py`, `exchange.py` and `info_changes.py` build their businesses from these.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from offline.business import ServiceContext
from offline.errors import DomainError, Problem
from offline.services.applications import MODES, production_deadline
from offline.services.persons import (
    CardRecord,
    PersonRecord,
    age_years,
    find_card,
    find_person,
    insert_application,
)
from offline.validation.documents import holder_document_problems

FIX_FIN = "请持卡人先到发卡银行办理金融账户正式挂失或注销，凭回执再来办理。"


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
    """R-APP-5 mode (HB 6 by profile), R-REP-3 financial account (HB 24 by profile), R-APP-2 photo."""
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
