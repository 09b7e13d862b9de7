"""Item 15 临时卡: issue, recycle, lost (cancel), damaged (destroy) — R-TMP-1..5; HN 12, 31.

Issue writes the holder's data onto a blank stock card in the reader (R-TMP-2) and reminds
the holder to change the initial PIN; recycle verifies the chip and erases it back to stock
(R-TMP-3); a lost card is cancelled and a damaged one destroyed, both with the fee (R-TMP-4).
The stock moves of R-TMP-5 (sign in, distribute, in stock, out of stock) are a form of their
own (`TempMoveScreen`), opened from the temporary-card stock screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding

from offline.business import BusinessResult, ServiceContext
from offline.errors import DomainError, Problem
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import card_number_of, person_id_for, temp_fee_fields
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input

ACTIONS = {"issue": "申领发卡", "recycle": "回收", "lost": "丢失注销（收费）", "damaged": "损坏销卡（收费）"}
CHECKS = {"passed": "联网核查通过", "pending": "离线，待联网核查", "failed": "核查未通过"}


def online_check(screen: FormScreen, ssn: str) -> tuple[str, str]:
    """联网核查 is asked of the card management system, never chosen by the operator (R-TMP-2).

    Without a link (or a checker) the card is issued as 待联网核查 and resolved on the downlink.
    """
    try:
        checker = getattr(screen.app, "services", None)
        check = getattr(checker, "online_check", None)
    except Exception:  # not mounted (no app): no link to ask
        check = None
    if not callable(check):
        return "pending", "离线受理，待联网核查"
    result, reason = check(ssn.strip().upper())
    return str(result), str(reason)


MOVES = {"sign_in": "签收", "distribute": "下发", "put_in_stock": "入库", "take_out": "出库"}


def _is(*actions: str) -> Callable[[Data], bool]:
    return lambda d: d.get("action", "issue") in actions


class TempCardScreen(FormScreen):
    """临时卡业务."""

    FORM_ID: ClassVar[str] = "temp_card"
    ITEM: ClassVar[str] = "temp_card"
    TITLE: ClassVar[str] = "临时社会保障卡"
    HINT: ClassVar[str] = "发卡和回收须把临时卡插入读卡器；丢失、损坏须缴工本费；Ctrl+T 临时卡库存"
    EXTRA_BINDINGS: ClassVar[tuple[Binding, ...]] = (
        Binding("ctrl+t", "temp_stock", "临时卡库存", id="temp_card.stock", priority=True),
    )
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("action", "办理事项", "select", ACTIONS, required=True, default="issue"),
        Field(
            "card_number", "临时卡卡号", max_length=9, restrict=r"[0-9A-Za-z]*", placeholder="空=读卡器中的卡"
        ),
        Field("ssn", "社保号码", required=True, max_length=18, restrict=r"[0-9Xx]*", show_if=_is("issue")),
        Field("doc_number", "证件号码", required=True, show_if=_is("issue", "lost", "damaged")),
        Field("body_ok", "卡体完好", "flag", show_if=_is("recycle")),
        *temp_fee_fields(_is("lost", "damaged")),
        Field("agent_name", "代办人姓名", show_if=_is("issue")),
        Field("agent_doc_number", "代办人证号", show_if=_is("issue")),
        Field("signed", "办理人已签字", "flag"),  # ticked by the operator, never by default
    )

    def action_temp_stock(self) -> None:
        from tui.screens.temp_stock import TempStockScreen

        self.app.push_screen(TempStockScreen())

    def needs_card(self, data: Data) -> bool:
        return data.get("action", "issue") in ("issue", "recycle")

    def extra_problems(self, data: Data) -> list[Problem]:
        if data.get("action") in ("lost", "damaged") and not data.get("card_number", "").strip():
            return [
                Problem(
                    "card_number",
                    "R-TMP-4",
                    "丢失或损坏的临时卡须填写卡号",
                    "请填写临时卡卡号。",
                    "临时卡卡号",
                )
            ]
        return []

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services import temp_cards

        action = data.get("action", "issue")
        number = card_number_of(ctx, data)
        if not number:
            raise DomainError.one(
                "card_number",
                "R-TMP-2",
                "没有卡号，读卡器中也没有卡",
                "请插入临时卡或输入卡号。",
                "临时卡卡号",
            )
        if action == "issue":
            checked, reason = online_check(self, data["ssn"])
            if checked == "failed":  # the system's own words, before anything reaches the chip
                raise DomainError.one(
                    "ssn",
                    "R-TMP-2",
                    f"卡管系统联网核查未通过：{reason}",
                    "请核实持卡人信息后再办理。",
                    "联网核查",
                )
            inp = make_input(
                temp_cards.TempIssueInput,
                dict(
                    card_number=number,
                    person_id=person_id_for(ctx, data["ssn"]),
                    doc_number=data["doc_number"].strip().upper(),
                    online_check=checked,
                    signed=flag(data, "signed"),
                    agent_name=data.get("agent_name", "").strip(),
                    agent_doc_number=data.get("agent_doc_number", "").strip().upper(),
                ),
            )
            service: Callable[[ServiceContext, Any], BusinessResult] = temp_cards.issue_temp_card
        elif action == "recycle":
            inp = make_input(
                temp_cards.TempRecycleInput,
                dict(card_number=number, body_ok=flag(data, "body_ok"), signed=flag(data, "signed")),
            )
            service = temp_cards.recycle_temp_card
        else:
            inp = make_input(
                temp_cards.TempCloseInput,
                dict(
                    card_number=number,
                    doc_number=data.get("doc_number", "").strip().upper(),
                    fee_paid=flag(data, "fee_paid"),
                    fee_receipt_no=data.get("fee_receipt_no", "").strip(),
                ),
            )
            service = (
                temp_cards.cancel_lost_temp_card if action == "lost" else temp_cards.destroy_damaged_temp_card
            )
        result: BusinessResult = service(ctx, inp)
        return result


class TempMoveScreen(FormScreen):
    """临时卡库存流转: sign in → distribute → in stock → out of stock (R-TMP-5, HN 31)."""

    FORM_ID: ClassVar[str] = "temp_card.move"
    ITEM: ClassVar[str] = "temp_card"
    TITLE: ClassVar[str] = "临时卡库存流转"
    HINT: ClassVar[str] = "卡号可用空格或逗号分隔，一次录入多张"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("move", "流转环节", "select", MOVES, required=True, default="sign_in"),
        Field("card_numbers", "临时卡卡号", required=True, placeholder="如 T00000001 T00000002"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        numbers = [n.upper() for n in data["card_numbers"].replace(",", " ").replace("，", " ").split() if n]
        move = data.get("move", "sign_in")
        from offline.services import temp_stock

        moves = {
            "sign_in": temp_stock.sign_in_temp_cards,
            "distribute": temp_stock.distribute,
            "put_in_stock": temp_stock.put_in_stock,
            "take_out": temp_stock.take_out,
        }
        result: BusinessResult = moves[move](ctx, numbers)
        return result
