"""Items 5-7: temporary loss 临时挂失, formal loss 正式挂失, lifting 解挂 (R-LOSS-1..4; HB 28-30; HN 20-22).

A temporary loss may be verbal (by phone, without a document) and expires by itself where
the province says so (R-LOSS-2); a formal loss needs the holder's document and cannot be
lifted at the station (R-LOSS-1); lifting is refused once a replacement was applied for
(R-LOSS-3). The services enforce all of it; these forms collect the facts.
"""

from __future__ import annotations

from typing import ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.services import losses
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import CARD_NUMBER, card_id_for
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input

REPORTERS = {"holder": "本人", "agent": "代办人"}


class TempLossScreen(FormScreen):
    """临时挂失 (R-LOSS-1, R-LOSS-2)."""

    FORM_ID: ClassVar[str] = "temp_loss"
    ITEM: ClassVar[str] = "temp_loss"
    TITLE: ClassVar[str] = "临时挂失"
    HINT: ClassVar[str] = "口头挂失可不验证件；临时挂失可解挂，到期自动解除（按本省规定）"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        CARD_NUMBER,
        Field("verbal", "口头挂失", "flag"),
        Field("doc_number", "证件号码", required=True, show_if=lambda d: not flag(d, "verbal")),
        Field("reporter", "挂失人", "select", REPORTERS, required=True, default="holder"),
        Field("reporter_name", "挂失人姓名", show_if=lambda d: d.get("reporter") == "agent", required=True),
        Field("note", "备注"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.losses import TempLossInput

        inp = make_input(
            TempLossInput,
            dict(
                card_id=card_id_for(ctx, data["card_number"].strip().upper()),
                verbal=flag(data, "verbal"),
                doc_number=data.get("doc_number", "").strip().upper(),
                reporter=data.get("reporter", "holder"),
                reporter_name=data.get("reporter_name", "").strip(),
                note=data.get("note", "").strip(),
            ),
        )
        result: BusinessResult = losses.report_temp_loss(ctx, inp)
        return result


class FormalLossScreen(FormScreen):
    """正式挂失 (R-LOSS-1: cannot be lifted at the station; R-REP-1: replacement follows)."""

    FORM_ID: ClassVar[str] = "formal_loss"
    ITEM: ClassVar[str] = "formal_loss"
    TITLE: ClassVar[str] = "正式挂失"
    HINT: ClassVar[str] = "正式挂失须验持卡人证件，挂失后不能在网点解挂，请随后办理补领"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        CARD_NUMBER,
        Field("doc_number", "证件号码", required=True),
        Field("reporter", "挂失人", "select", REPORTERS, required=True, default="holder"),
        Field("reporter_name", "代办人姓名", required=True, show_if=lambda d: d.get("reporter") == "agent"),
        Field(
            "reporter_doc_number",
            "代办人证件号",
            required=True,
            show_if=lambda d: d.get("reporter") == "agent",
        ),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.losses import FormalLossInput

        inp = make_input(
            FormalLossInput,
            dict(
                card_id=card_id_for(ctx, data["card_number"].strip().upper()),
                doc_number=data["doc_number"].strip().upper(),
                reporter=data.get("reporter", "holder"),
                reporter_name=data.get("reporter_name", "").strip(),
                reporter_doc_number=data.get("reporter_doc_number", "").strip().upper(),
            ),
        )
        result: BusinessResult = losses.report_formal_loss(ctx, inp)
        return result


class LiftLossScreen(FormScreen):
    """解挂 (R-LOSS-1 temporary only, R-LOSS-3 not after a replacement was applied for)."""

    FORM_ID: ClassVar[str] = "lift_loss"
    ITEM: ClassVar[str] = "lift_loss"
    TITLE: ClassVar[str] = "解挂"
    HINT: ClassVar[str] = "只能解除临时挂失；已申请补领的卡不能解挂"
    FIELDS: ClassVar[tuple[Field, ...]] = (CARD_NUMBER, Field("doc_number", "证件号码", required=True))

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.losses import LiftLossInput

        inp = make_input(
            LiftLossInput,
            dict(
                card_id=card_id_for(ctx, data["card_number"].strip().upper()),
                doc_number=data["doc_number"].strip().upper(),
            ),
        )
        result: BusinessResult = losses.lift_loss(ctx, inp)
        return result
