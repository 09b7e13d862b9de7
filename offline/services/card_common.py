"""Small helpers the card-side services share: card rows and moves, chip reads, documents, dates.

Kept apart so that issuance, stock, losses, PINs and temporary cards agree on how a card
moves (always through `lifecycle.CARD_MACHINE`, always with a `card_moves` row) and how a
chip error reaches the operator (a DomainError in Chinese, never a traceback).
"""

from __future__ import annotations

import calendar
import sqlite3
from datetime import date
from typing import Any, NoReturn

from offline.business import ServiceContext
from offline.errors import DomainError, Problem
from offline.lifecycle import TEMP_MACHINE
from offline.protocols import CardError, CardSession, ChipCard, ChipHolder
from offline.validation.documents import holder_document_problems


def refuse(field: str, rule: str, message: str, fix: str, label: str = "") -> NoReturn:
    """Raise a one-problem DomainError (nothing is written by the caller's transaction)."""
    raise DomainError(Problem(field, rule, message, fix, label))


# --------------------------------------------------------------------------- rows


def card_by_id(conn: sqlite3.Connection, card_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()
    if row is None:
        refuse("card_id", "R-ISS-1", f"找不到卡记录（编号 {card_id}）", "请先查询，确认卡已入库。", "社保卡")
    return row


def card_by_number(conn: sqlite3.Connection, card_number: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM cards WHERE card_number = ?", (card_number,)
    ).fetchone()
    return row


def person_by_id(conn: sqlite3.Connection, person_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM persons WHERE id = ?", (person_id,)).fetchone()
    if row is None:
        refuse(
            "person_id", "R-ID-1", f"找不到人员记录（编号 {person_id}）", "请先查询或登记人员信息。", "持卡人"
        )
    return row


def move_temp_card(
    conn: sqlite3.Connection,
    temp: sqlite3.Row | dict[str, Any],
    to_state: str,
    *,
    at: str,
    operator_id: int,
    business_id: int | None = None,
    **updates: Any,
) -> int:
    """Move a temporary card along TEMP_MACHINE (R-TMP-5), recording who moved it (and for which
    business, when the builder already has one: `Business.move_temp_card`)."""
    TEMP_MACHINE.check(str(temp["state"]), to_state)
    sets = ["state = ?", "updated_at = ?"]
    values: list[Any] = [to_state, at]
    for column, value in updates.items():
        sets.append(f"{column} = ?")
        values.append(value)
    conn.execute(f"UPDATE temp_cards SET {', '.join(sets)} WHERE id = ?", (*values, temp["id"]))
    cur = conn.execute(
        "INSERT INTO temp_card_moves(temp_card_id, from_state, to_state, business_id, operator_id, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (temp["id"], temp["state"], to_state, business_id, operator_id, at),
    )
    return int(cur.lastrowid or 0)


# --------------------------------------------------------------------------- documents


def doc_problems(
    person: sqlite3.Row,
    presented: str,
    *,
    rule: str = "R-ID-1",
    field: str = "doc_number",
    label: str = "证件号码",
) -> list[Problem]:
    """R-ID-1 for a persons row (`validation.documents.holder_document_problems`)."""
    return holder_document_problems(
        presented, str(person["doc_number"]), str(person["ssn"]), rule=rule, field=field, label=label
    )


# --------------------------------------------------------------------------- chip


def session(ctx: ServiceContext, rule: str) -> CardSession:
    """The inserted card's session, or a Chinese refusal asking for the physical card."""
    if ctx.card is None:
        refuse("card", rule, "未检测到读卡器中的卡片", "请将实体卡插入读卡器后重试。", "实体卡")
    return ctx.card


def chip_call_failed(exc: CardError, rule: str) -> NoReturn:
    """Turn a card error into the operator's message (what happened and what to do)."""
    raise DomainError(
        Problem(
            "card",
            rule,
            f"读写卡失败：{exc.message_zh}",
            "请检查卡片与读卡器后重试；未写入任何业务。",
            "实体卡",
        )
    ) from exc


def read_chip(ctx: ServiceContext, rule: str) -> ChipCard:
    card = session(ctx, rule)
    try:
        return card.read_card()
    except CardError as exc:
        chip_call_failed(exc, rule)


def require_same_card(chip: ChipCard, card_number: str, rule: str) -> None:
    """Refuse a foreign card: the chip's card number must be the record's."""
    if chip.card_number != card_number:
        refuse(
            "card",
            rule,
            f"读卡器中的卡（卡号 {chip.card_number}）不是本业务的卡（卡号 {card_number}）",
            "请插入持卡人本人的卡片。",
            "实体卡",
        )


def holder_for_person(person: sqlite3.Row) -> ChipHolder:
    """EF06 holder items of a person record (birthplace = the SSN's region digits)."""
    ssn = str(person["ssn"])
    return ChipHolder(
        ssn=ssn,
        name=str(person["name"]),
        sex=str(person["sex"]),
        ethnicity=str(person["ethnicity"]),
        birthplace=ssn[:6],
        birth_date=str(person["birth_date"]).replace("-", ""),
    )


# --------------------------------------------------------------------------- dates


def parse_day(text: str) -> date:
    return date.fromisoformat(text[:10])


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def ymd(d: date) -> str:
    return d.strftime("%Y%m%d")
