"""Item 3 注销: cancellation (R-CAN-1..3; HB 32-33; HN 26).

The reason is one of R-CAN-1's; the operator confirms the person's insurance business is
closed, otherwise the service refuses with the reason stated (R-CAN-2); after a death an heir
acts with their own document and proof of inheritance (R-CAN-3), so the heir block is shown
only for that reason.
"""

from __future__ import annotations

from typing import ClassVar

from offline import codes
from offline.business import BusinessResult, ServiceContext
from offline.services import cancellation
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import SSN
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input


def _death(d: Data) -> bool:
    """Death or 失踪 (HN 26): the heir acts, the holder's own document is not asked."""
    return d.get("reason") in ("death", "missing")


class CancelScreen(FormScreen):
    """注销社会保障卡."""

    FORM_ID: ClassVar[str] = "cancel"
    ITEM: ClassVar[str] = "cancel"
    TITLE: ClassVar[str] = "注销社会保障卡"
    HINT: ClassVar[str] = "先注销社保功能，银行账户随后到银行注销；须确认参保业务已终结（R-CAN-2）"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        SSN,
        Field("reason", "注销原因", "select", cancellation.REASONS, required=True),
        Field("reason_note", "原因说明", required=True, show_if=lambda d: d.get("reason") == "other"),
        Field("doc_number", "证件号码", required=True, show_if=lambda d: not _death(d)),
        Field("insurance_closed", "参保业务已终结", "flag"),
        Field("open_insurance_business", "未结业务", show_if=lambda d: not flag(d, "insurance_closed")),
        Field("heir_name", "继承人姓名", required=True, section="法定继承人", show_if=_death),
        Field(
            "heir_doc_type",
            "继承人证件",
            "select",
            codes.DOC_TYPES,
            required=True,
            show_if=_death,
            default="resident_id",
        ),
        Field("heir_doc_number", "继承人证号", required=True, show_if=_death),
        Field("heir_relation", "亲属关系", "select", codes.RELATIONS, required=True, show_if=_death),
        Field(
            "inheritance_proof",
            "继承证明",
            required=True,
            show_if=_death,
            placeholder="如：死亡证明+亲属关系证明",
        ),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:

        heir = None
        if _death(data):
            heir = make_input(
                cancellation.HeirInput,
                dict(
                    name=data["heir_name"].strip(),
                    doc_type=data.get("heir_doc_type", ""),
                    doc_number=data["heir_doc_number"].strip().upper(),
                    relation=data.get("heir_relation", ""),
                    inheritance_proof=data.get("inheritance_proof", "").strip(),
                ),
            )
        inp = make_input(
            cancellation.CancelInput,
            dict(
                ssn=data["ssn"].strip().upper(),
                reason=data["reason"],
                insurance_closed=flag(data, "insurance_closed"),
                doc_number=data.get("doc_number", "").strip().upper(),
                heir=heir,
                reason_note=data.get("reason_note", "").strip(),
                open_insurance_business=data.get("open_insurance_business", "").strip(),
            ),
        )
        result: BusinessResult = cancellation.cancel_card(ctx, inp)
        return result
