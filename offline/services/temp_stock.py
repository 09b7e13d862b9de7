"""Temporary-card stock (HN 31, R-TMP-5): sign-in, distribution, stock in and out, counts.

Split from `temp_cards` (issue/recycle/loss/damage) to keep each module one idea; `temp_cards`
re-exports these names. Every move goes through `lifecycle.TEMP_MACHINE` and is recorded in
`temp_card_moves` with the operator and the business that made it. A batch is one business.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import Business, begin_business
from offline.errors import DomainError, Problem, ValidationError
from offline.lifecycle import TEMP_LABELS
from offline.permissions import require
from offline.services.card_common import refuse
from offline.store import Store
from offline.validation import validate_card_number


def require_temp_cards(ctx: ServiceContext) -> None:
    require(ctx.operator, "temp_card")
    if not ctx.profile.temp_cards:
        name = ctx.profile.name_zh
        refuse(
            "temp_card",
            "R-TMP-1",
            f"{name}未开办临时社会保障卡业务",
            "请为持卡人办理正式社会保障卡申领或补领。",
            "临时卡",
        )


def temp_row(conn: sqlite3.Connection, card_number: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM temp_cards WHERE card_number = ?", (card_number,)
    ).fetchone()
    if row is None:
        refuse(
            "card_number",
            "R-TMP-5",
            f"临时卡 {card_number} 不在本站库存记录中",
            "请核对卡号，或先办理临时卡签收入库。",
            "临时卡卡号",
        )
    return row


def holding_of(store: Store, person_id: int) -> sqlite3.Row | None:
    """The temporary card a person currently holds (issued to them), if any (R-ISS-5)."""
    return store.one(
        "SELECT * FROM temp_cards WHERE person_id = ? AND state IN ('issued', 'personalised')"
        " ORDER BY id DESC LIMIT 1",
        (person_id,),
    )


def temp_stock_counts(store: Store) -> dict[str, int]:
    """Temporary cards per stock state (every state present, 0 when none) — R-TMP-5."""
    counts = dict.fromkeys(TEMP_LABELS, 0)
    for state, n in store.query("SELECT state, COUNT(*) FROM temp_cards GROUP BY state"):
        counts[str(state)] = int(n)
    return counts


@dataclass(frozen=True)
class TempMove:
    """One recorded move of a temporary card (R-TMP-5: every move is recorded)."""

    at: str
    card_number: str
    from_state: str
    to_state: str
    operator: str  # real name (R-ID-6)


def recent_moves(store: Store, *, limit: int = 20) -> list[TempMove]:
    """The latest moves, newest first, for the temporary-card stock screen."""
    rows = store.query(
        "SELECT m.at, t.card_number, m.from_state, m.to_state, COALESCE(o.real_name, '') AS operator"
        " FROM temp_card_moves m JOIN temp_cards t ON t.id = m.temp_card_id"
        " LEFT JOIN operators o ON o.id = m.operator_id ORDER BY m.id DESC LIMIT ?",
        (limit,),
    )
    return [TempMove(r["at"], r["card_number"], r["from_state"], r["to_state"], r["operator"]) for r in rows]


def _numbers_problems(card_numbers: list[str] | tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if not card_numbers:
        problems.append(
            Problem("card_numbers", "R-TMP-5", "没有录入临时卡卡号", "请扫描或录入卡号。", "临时卡卡号")
        )
    for n in card_numbers:
        for p in validate_card_number(n):
            problems.append(Problem(p.field, p.rule, f"{n}：{p.message}", p.fix, p.label or "临时卡卡号"))
    if len(set(card_numbers)) != len(card_numbers):
        problems.append(Problem("card_numbers", "R-TMP-5", "卡号有重复", "请删除重复的卡号。", "临时卡卡号"))
    return problems


# --------------------------------------------------------------------------- stock cycle (R-TMP-5)


def sign_in_temp_cards(ctx: ServiceContext, card_numbers: list[str] | tuple[str, ...]) -> BusinessResult:
    """签收: pre-initialised temporary cards arrive from the card centre (HN 31)."""
    require_temp_cards(ctx)
    numbers = [n.strip().upper() for n in card_numbers]
    problems = _numbers_problems(numbers)
    if problems:
        raise ValidationError(problems)
    with begin_business(ctx, "temp_card") as biz:
        conn, at = biz.conn, biz.at
        for n in numbers:
            if conn.execute("SELECT 1 FROM temp_cards WHERE card_number = ?", (n,)).fetchone():
                problems.append(
                    Problem("card_numbers", "R-TMP-5", f"临时卡 {n} 已签收过", "请勿重复签收。", "临时卡卡号")
                )
                continue
            cur = conn.execute(
                "INSERT INTO temp_cards(card_number, state, updated_at) VALUES (?, 'signed_in', ?)", (n, at)
            )
            conn.execute(  # the first move of a card: from nothing to 'signed_in'
                "INSERT INTO temp_card_moves(temp_card_id, from_state, to_state, business_id, operator_id, at)"
                " VALUES (?, '', 'signed_in', ?, ?, ?)",
                (cur.lastrowid, biz.business_id, ctx.operator.id, at),
            )
        if problems:
            raise ValidationError(problems)
        return _stock_business(biz, "sign_in", numbers)


def _stock_business(biz: Business, action: str, numbers: list[str]) -> BusinessResult:
    names = {"sign_in": "签收", "distribute": "分发", "put_in_stock": "入库", "take_out": "出库"}
    return biz.commit(
        summary=f"临时卡{names[action]} {len(numbers)} 张",
        details={"action": action, "card_numbers": numbers, "rules": ["R-TMP-5"]},
    )


def _move_batch(
    ctx: ServiceContext, card_numbers: list[str] | tuple[str, ...], to_state: str, action: str
) -> BusinessResult:
    require_temp_cards(ctx)
    numbers = [n.strip().upper() for n in card_numbers]
    problems = _numbers_problems(numbers)
    if problems:
        raise ValidationError(problems)
    with begin_business(ctx, "temp_card") as biz:
        conn = biz.conn
        for n in numbers:
            row = conn.execute("SELECT * FROM temp_cards WHERE card_number = ?", (n,)).fetchone()
            if row is None:
                problems.append(
                    Problem(
                        "card_numbers", "R-TMP-5", f"临时卡 {n} 不在库存记录中", "请先签收。", "临时卡卡号"
                    )
                )
                continue
            try:
                biz.move_temp_card(row, to_state)
            except DomainError as exc:
                problems.extend(
                    Problem(p.field, p.rule, f"临时卡 {n}：{p.message}", p.fix, p.label) for p in exc.problems
                )
        if problems:
            raise ValidationError(problems)
        return _stock_business(biz, action, numbers)


def distribute(ctx: ServiceContext, card_numbers: list[str] | tuple[str, ...]) -> BusinessResult:
    """分发: signed-in cards handed to this window (HN 31)."""
    return _move_batch(ctx, card_numbers, "distributed", "distribute")


def put_in_stock(ctx: ServiceContext, card_numbers: list[str] | tuple[str, ...]) -> BusinessResult:
    """入库: distributed, taken-out-but-unused or recycled cards go (back) into stock (HN 31)."""
    return _move_batch(ctx, card_numbers, "in_stock", "put_in_stock")


def take_out(ctx: ServiceContext, card_numbers: list[str] | tuple[str, ...]) -> BusinessResult:
    """出库: cards taken from stock for personalisation (HN 31)."""
    return _move_batch(ctx, card_numbers, "out_of_stock", "take_out")
