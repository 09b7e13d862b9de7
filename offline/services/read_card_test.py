"""The read-card test of 发放 (读卡检测, R-ISS-3; HB 15-16) and what a failed one does.

Before a produced card is handed over: the chip is readable and genuine, the chip agrees with the
record (card number, social security number, name), and the operator has looked at the face
(photo and text). A card that fails is never handed out: it goes back for re-production as a
committed business of its own ("退回重制", card → 'returned'), so the card centre learns of it;
the caller then raises `CardReturned` carrying that result, so the screen can print the return
slip and say plainly what happened. A reader problem (card pulled, no reader) decides nothing.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from offline.business import BusinessResult, ServiceContext
from offline.business_builder import begin_business
from offline.errors import DomainError, Problem
from offline.protocols import CardError, ChipCard
from offline.services.card_common import card_by_id

if TYPE_CHECKING:
    from offline.services.issuance import IssueInput


class CardReturned(DomainError):
    """The read-card test failed: the card was NOT issued and went back for re-production (R-ISS-3).

    `result` is the committed "退回重制" business (its receipt is the return slip).
    """

    def __init__(self, problems: list[Problem], result: BusinessResult) -> None:
        super().__init__(problems)
        self.result = result


def read_card_test(
    ctx: ServiceContext, card: sqlite3.Row, person: sqlite3.Row, inp: IssueInput
) -> tuple[list[str], ChipCard | None]:
    """R-ISS-3: chip readable and genuine, chip = record (card number, SSN, name), face checked.

    Returns the reasons the card must not be issued (Chinese), and what the chip said.
    """
    reasons: list[str] = []
    chip: ChipCard | None = None
    if ctx.card is None:
        raise DomainError(
            Problem(
                "card",
                "R-ISS-3",
                "发放前须读卡检测，未检测到读卡器中的卡片",
                "请将待发放的卡插入读卡器后重试。",
                "读卡检测",
            )
        )
    try:
        chip = ctx.card.read_card()
        if not ctx.card.check_genuine():
            reasons.append("芯片内部认证未通过（非本系统合法卡片）")
    except CardError as exc:
        if exc.code in ("card_removed", "no_reader", "no_card", "reader_unplugged", "no_pcscd"):
            # Not the card's fault: nothing is decided, nothing written.
            raise DomainError(
                Problem(
                    "card", "R-ISS-3", f"读卡中断：{exc.message_zh}", "请重新插卡后再做读卡检测。", "读卡检测"
                )
            ) from exc
        reasons.append(f"芯片无法读取（{exc.message_zh}）")
    if chip is not None:
        if chip.card_number != card["card_number"]:
            raise DomainError(
                Problem(
                    "card",
                    "R-ISS-3",
                    f"读卡器中的卡（卡号 {chip.card_number}）不是待发放的卡（卡号 {card['card_number']}）",
                    "请插入与发放记录一致的卡片。",
                    "读卡检测",
                )
            )
        if chip.holder is None:
            reasons.append("芯片内无持卡人信息")
        else:
            if chip.holder.ssn.upper() != str(person["ssn"]).upper():
                reasons.append("芯片内社会保障号码与记录不一致")
            if chip.holder.name != person["name"]:
                reasons.append("芯片内姓名与记录不一致")
    if not inp.face_photo_ok:
        reasons.append("卡面照片缺失、模糊或与本人不符" + (f"（{inp.face_note}）" if inp.face_note else ""))
    if not inp.face_text_ok:
        reasons.append("卡面文字缺失、模糊或与记录不一致" + (f"（{inp.face_note}）" if inp.face_note else ""))
    return reasons, chip


def return_for_reproduction(ctx: ServiceContext, card_id: int, reasons: list[str]) -> BusinessResult:
    """The failed read-card test as its own business: card → 'returned' with the reason (R-ISS-3)."""
    with begin_business(ctx, "issue") as biz:
        card = card_by_id(biz.conn, card_id)
        reason = "；".join(reasons)
        biz.move_card(card, "returned", return_reason=reason)
        if card["application_id"] is not None:
            biz.conn.execute(
                "UPDATE applications SET status = 'remaking', reject_reason = ?, updated_at = ? WHERE id = ?",
                (f"读卡检测不合格，退回重制：{reason}", biz.at, card["application_id"]),
            )
        return biz.commit(
            person_id=card["person_id"],
            card_id=card_id,
            summary=f"退回重制：卡号 {card['card_number']}，{reason}",
            details={
                "action": "return_for_reproduction",
                "card_number": card["card_number"],
                "reasons": reasons,
                "rules": ["R-ISS-3"],
                "reminders": [
                    "此卡读卡检测不合格，未发放，已退回卡管中心重新制作；请持卡人保存本退回单，"
                    "新卡到达后网点将通知领取（HB 16、27）。"
                ],
            },
        )
