"""Item 18 库存卡/睡眠卡管理: receive cards, record contact, age old stock (R-ISS-1, R-ISS-2, R-ISS-6).

Three small forms opened from the stock screen (`tui.screens.stock.StockScreen`): sign in
arriving produced cards (the contact deadline is computed in working days, R-ISS-2), record
that a holder was contacted, and cancel / seal / return cards older than the province's
limit (R-ISS-6, needs the 'stock.age' permission; the service refuses cards not yet that old,
naming the date).
"""

from __future__ import annotations

from typing import ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.services import stock
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import CARD_NUMBER, card_id_for
from tui.screens.forms.fields import Data, Field
from tui.screens.forms.host import make_input


def split_numbers(text: str) -> list[str]:
    """Card numbers typed or scanned, separated by spaces, commas or newlines."""
    return [n.upper() for n in text.replace(",", " ").replace("，", " ").split() if n]


class ReceiveScreen(FormScreen):
    """社保卡入库 (R-ISS-1)."""

    FORM_ID: ClassVar[str] = "stock.receive"
    ITEM: ClassVar[str] = "stock"
    TITLE: ClassVar[str] = "社保卡签收入库"
    HINT: ClassVar[str] = "扫描或录入到站的卡号（空格分隔）；入库后须在规定工作日内联系领卡"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("card_numbers", "卡号", required=True, placeholder="如 A12345678 B23456789"),
        Field("stock_slot", "存放位置", placeholder="柜号/盒号"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.stock import ReceiveInput

        inp = ReceiveInput.from_numbers(
            split_numbers(data["card_numbers"]), stock_slot=data.get("stock_slot", "").strip()
        )
        result: BusinessResult = stock.receive_cards(ctx, inp)
        return result


class ContactScreen(FormScreen):
    """登记联系领卡 (R-ISS-2)."""

    FORM_ID: ClassVar[str] = "stock.contact"
    ITEM: ClassVar[str] = "stock"
    TITLE: ClassVar[str] = "登记联系领卡"
    HINT: ClassVar[str] = "记录已通知持卡人（或单位）领卡"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        CARD_NUMBER,
        Field("how", "联系方式", "select", stock.CONTACT_WAYS, required=True),
        Field("note", "备注"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        result: BusinessResult = stock.record_contact(
            ctx,
            card_id_for(ctx, data["card_number"].strip().upper()),
            data["how"],
            data.get("note", "").strip(),
        )
        return result


class AgeScreen(FormScreen):
    """超期库存卡处理: cancel, seal, or return sleeping cards (R-ISS-6)."""

    FORM_ID: ClassVar[str] = "stock.age"
    ITEM: ClassVar[str] = "stock"
    TITLE: ClassVar[str] = "超期库存卡/睡眠卡处理"
    HINT: ClassVar[str] = "存放超过规定月数的卡注销或封存；单位代领未发的睡眠卡退回清理（须主管权限）"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("card_numbers", "卡号", required=True, placeholder="空格分隔"),
        Field("action", "处理方式", "select", stock.AGE_ACTIONS, required=True),
        Field("reason", "说明"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.stock import AgeStockInput

        ids = tuple(card_id_for(ctx, n) for n in split_numbers(data["card_numbers"]))
        inp = make_input(
            AgeStockInput, dict(card_ids=ids, action=data["action"], reason=data.get("reason", ""))
        )
        result: BusinessResult = stock.age_stock(ctx, inp)
        return result
