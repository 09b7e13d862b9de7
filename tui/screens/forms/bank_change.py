"""Item 17 发卡银行变更 (R-TRF-2, R-APP-4; HN 24): an application the card centre approves.

The approval comes back by downlink within about 5 working days; the exchange follows then.
"""

from __future__ import annotations

from typing import ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.services import bank_change
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import CARD_NUMBER, DOC_NUMBER
from tui.screens.forms.fields import Data, Field
from tui.screens.forms.host import make_input

DOCUMENTS = {
    "nearby": "就近选择发卡银行申请书（附居住地或单位所在地证明）",
    "better": "择优选择发卡银行申请书（附原银行质询材料与回复）",
}


class BankChangeScreen(FormScreen):
    """发卡银行变更."""

    FORM_ID: ClassVar[str] = "bank_change"
    ITEM: ClassVar[str] = "bank_change"
    TITLE: ClassVar[str] = "发卡银行变更"
    HINT: ClassVar[str] = "申请材料报服务中心审批（约 5 个工作日），批准后办理换卡"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        CARD_NUMBER,
        DOC_NUMBER,
        Field("new_bank", "新发卡银行", "select", "banks", required=True),
        Field("document", "申请材料", "select", DOCUMENTS, required=True),
        Field("reason", "变更理由", required=True),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.bank_change import BankChangeInput

        inp = make_input(
            BankChangeInput,
            dict(
                card_number=data["card_number"].strip().upper(),
                doc_number=data["doc_number"].strip().upper(),
                new_bank=data["new_bank"],
                reason=data["reason"].strip(),
                documents=(DOCUMENTS.get(data.get("document", ""), data.get("document", "")),),
            ),
        )
        result: BusinessResult = bank_change.change_bank(ctx, inp)
        return result
