"""State machines: the formal card's lifecycle and the temporary card's stock cycle (R-TMP-5).

A move not in the table is refused with a Chinese message naming both states, so a service
can never put a card into an impossible state.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Protocol

from offline.errors import IllegalTransition, Problem


@dataclass(frozen=True)
class StateMachine:
    name_zh: str
    rule: str
    labels: dict[str, str]
    moves: dict[str, frozenset[str]]

    def check(self, current: str, target: str) -> None:
        """Raise IllegalTransition unless current → target is allowed."""
        if target not in self.moves.get(current, frozenset()):
            a, b = self.labels.get(current, current), self.labels.get(target, target)
            raise IllegalTransition(
                Problem(
                    field="status",
                    rule=self.rule,
                    message=f"{self.name_zh}当前为“{a}”，不能变为“{b}”",
                    fix="请先查询卡状态，按规定顺序办理。",
                    label="卡状态",
                )
            )

    def label(self, state: str) -> str:
        return self.labels.get(state, state)


# Formal card. A card row exists from production on; before that the application tracks progress.
CARD_LABELS = {
    "produced": "已制卡",
    "shipped": "已寄送网点",
    "arrived": "网点在库",
    "unit_collected": "单位已领未发",
    "issued": "已发放（正常）",
    "temp_lost": "临时挂失",
    "lost": "正式挂失",
    "returned": "已退回重制",
    "sealed": "超期封存",
    "cancelled": "已注销",
}

CARD_MACHINE = StateMachine(
    name_zh="社会保障卡",
    rule="R-ISS-1",
    labels=CARD_LABELS,
    moves={
        "produced": frozenset({"shipped", "arrived", "cancelled"}),
        "shipped": frozenset({"arrived", "cancelled"}),
        # R-ISS-3 failed read-card test → returned; R-ISS-6 ageing → sealed/cancelled.
        "arrived": frozenset({"issued", "unit_collected", "returned", "sealed", "cancelled"}),
        # R-ISS-6 sleeping cards: collected by a unit, never handed to the person.
        "unit_collected": frozenset({"issued", "arrived", "returned", "cancelled"}),
        "issued": frozenset({"temp_lost", "lost", "cancelled"}),
        # R-LOSS-1: temporary loss can be lifted or made formal; R-LOSS-2 expiry lifts it.
        "temp_lost": frozenset({"issued", "lost", "cancelled"}),
        # R-LOSS-1/R-REP-1: formal loss is followed by replacement (old card cancelled);
        # lifting at the bank (HN 22) arrives by downlink when the profile allows it.
        "lost": frozenset({"cancelled", "issued"}),
        "sealed": frozenset({"cancelled", "returned", "issued"}),
        "returned": frozenset(),
        "cancelled": frozenset(),
    },
)

#: Card states that count as "a valid card" for one person one card (R-APP-3).
VALID_CARD_STATES = frozenset({"produced", "shipped", "arrived", "unit_collected", "issued", "temp_lost"})
#: Application states still in flight (also block a second application, R-APP-3).
OPEN_APPLICATION_STATES = frozenset({"accepted", "approved", "produced", "shipped", "arrived", "remaking"})

TEMP_LABELS = {
    "signed_in": "已签收",
    "distributed": "已下发",
    "in_stock": "在库",
    "out_of_stock": "已出库",
    "personalised": "已写卡",
    "issued": "已发放",
    "recycled": "已回收",
    "cancelled": "挂失注销",
    "destroyed": "损坏销卡",
}

TEMP_MACHINE = StateMachine(
    name_zh="临时卡",
    rule="R-TMP-5",
    labels=TEMP_LABELS,
    moves={
        "signed_in": frozenset({"distributed"}),
        "distributed": frozenset({"in_stock"}),
        "in_stock": frozenset({"out_of_stock"}),
        "out_of_stock": frozenset({"personalised", "in_stock"}),
        # A personalisation that is abandoned (holder left) is erased back to stock.
        "personalised": frozenset({"issued", "recycled"}),
        "issued": frozenset({"recycled", "cancelled", "destroyed"}),  # R-TMP-3, R-TMP-4
        "recycled": frozenset({"in_stock"}),
        "cancelled": frozenset(),
        "destroyed": frozenset(),
    },
)


class CardState(Protocol):
    """A card as a service holds it (`persons.CardRecord`): its row id and current status."""

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> str: ...


def move_card(
    conn: sqlite3.Connection,
    card: sqlite3.Row | CardState,
    to_status: str,
    *,
    at: str,
    business_id: int | None = None,
    **updates: Any,
) -> int:
    """Move a formal card along CARD_MACHINE, set the given columns, record the move.

    The one way a card changes status (services, downlink effects). Returns the card_moves id.
    A service moves cards through `Business.move_card` (offline.business_builder), which passes
    the business id of the row it opened first; downlink effects move without one.
    """
    if hasattr(card, "keys"):  # a row of the stdlib driver or of SQLCipher's (not a sqlite3.Row)
        row: Any = card
        card_id, from_status = int(row["id"]), str(row["status"])
    else:
        card_id, from_status = card.id, card.status
    CARD_MACHINE.check(from_status, to_status)
    sets = ", ".join(["status = ?", "updated_at = ?", *(f"{column} = ?" for column in updates)])
    conn.execute(f"UPDATE cards SET {sets} WHERE id = ?", (to_status, at, *updates.values(), card_id))
    cur = conn.execute(
        "INSERT INTO card_moves(card_id, from_status, to_status, business_id, at) VALUES (?, ?, ?, ?, ?)",
        (card_id, from_status, to_status, business_id, at),
    )
    return int(cur.lastrowid or 0)
