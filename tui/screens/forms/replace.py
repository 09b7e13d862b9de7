"""Item 2 补领/换领: replacement of a lost card or exchange of a card (R-REP-1..5; HB 22-24; HN 23-25).

Replacement needs a formal loss first (R-REP-1); exchange names its reason (R-REP-2); both
need the operator's confirmation that the financial account was formally reported lost or
cancelled (R-REP-3) and pay the cost fee unless the reason is free (R-REP-5). A new bank only
after expiry (R-REP-4).
"""

from __future__ import annotations

from typing import ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.services import applications, exchange, replacement
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import CARD_NUMBER
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input
from tui.screens.forms.person_fields import read_photo

KINDS = {"replace": "补领（卡已正式挂失）", "exchange": "换领"}


def _exchange(d: Data) -> bool:
    return d.get("kind") == "exchange"


class ReplaceScreen(FormScreen):
    """补领 / 换领."""

    FORM_ID: ClassVar[str] = "replace"
    ITEM: ClassVar[str] = "replace"
    TITLE: ClassVar[str] = "补领/换领社会保障卡"
    HINT: ClassVar[str] = "补领须先正式挂失；须确认金融账户已挂失或注销（R-REP-3）"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("kind", "办理类型", "select", KINDS, required=True, default="replace"),
        CARD_NUMBER,
        Field("doc_number", "证件号码", required=True),
        Field(
            "reason",
            "换卡原因",
            "select",
            exchange.EXCHANGE_REASONS,
            required=True,
            show_if=_exchange,
        ),
        Field("bank", "新发卡银行", "select", "banks", show_if=_exchange, placeholder="不换银行可不选"),
        Field("rural_pension_contract", "新农保合约未到期", "flag", show_if=_exchange),
        Field("financial_account_closed", "金融账户已挂失/注销", "flag"),
        Field("mode", "制卡方式", "select", applications.MODES, required=True, default="fast"),
        Field("mailing", "邮寄领卡", "flag"),
        Field("photo_path", "新照片文件", placeholder="JPEG 路径（不换照片可空）"),
        Field("fee_receipt_no", "收费票据号", placeholder="收取工本费时填行政事业性收费票据号码"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:

        values: dict[str, object] = dict(
            card_number=data["card_number"].strip().upper(),
            doc_number=data["doc_number"].strip().upper(),
            financial_account_closed=flag(data, "financial_account_closed"),
            mode=data.get("mode", "fast"),
            mailing=flag(data, "mailing"),
            photo=read_photo(data),
            fee_receipt_no=data.get("fee_receipt_no", "").strip(),
        )
        if _exchange(data):
            values.update(
                reason=data.get("reason", ""),
                bank=data.get("bank", ""),
                rural_pension_contract=flag(data, "rural_pension_contract"),
            )
            inp = make_input(exchange.ExchangeInput, values)
            result: BusinessResult = exchange.exchange_card(ctx, inp)
            return result
        inp = make_input(replacement.ReplaceInput, values)
        result = replacement.replace_card(ctx, inp)
        return result
