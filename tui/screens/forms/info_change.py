"""Item 12 非关键信息变更 (R-INFO-2; HB 26; HN 17): changed at the station, no new card.

Only the fields the operator fills are changed; empty means "unchanged" (the service records
old → new for each). A document that became long-term is a flag, because an empty end date
already means "unchanged" here.
"""

from __future__ import annotations

from typing import ClassVar

from offline import codes
from offline.business import BusinessResult, ServiceContext
from offline.errors import Problem
from offline.services import info_changes
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import DOC_NUMBER, SSN
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input

CHANGEABLE = (
    "doc_valid_from",
    "doc_valid_to",
    "ethnicity",
    "nationality",
    "sex",
    "household_address",
    "residence_address",
    "mailing_address",
    "phone",
)


class InfoChangeScreen(FormScreen):
    """非关键信息变更: fill only what changes."""

    FORM_ID: ClassVar[str] = "info_change"
    ITEM: ClassVar[str] = "info_change"
    TITLE: ClassVar[str] = "非关键信息变更"
    HINT: ClassVar[str] = "只填写需要变更的项目，空着的项目保持不变；不换卡"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        SSN,
        DOC_NUMBER,
        Field("doc_valid_from", "有效期起", "date", section="变更为"),
        Field("doc_valid_to", "有效期止", "date"),
        Field("doc_valid_long", "证件改为长期", "flag"),
        Field("ethnicity", "民族", "select", codes.ETHNICITY),
        Field("nationality", "国籍/地区", "select", codes.NATIONALITY),
        Field("sex", "性别", "select", codes.SEX),
        Field("household_address", "户口所在地"),
        Field("residence_address", "常住地址"),
        Field("mailing_address", "邮寄地址"),
        Field("phone", "联系电话", max_length=20, restrict=r"[0-9-]*"),
        Field("card_in_reader", "本站无记录，持卡人的卡已插入读卡器", "flag", section="卡在手"),
    )

    def needs_card(self, data: Data) -> bool:
        """A holder the station does not know brings the card: read it (R-HLD-1)."""
        return flag(data, "card_in_reader")

    def extra_problems(self, data: Data) -> list[Problem]:
        if any(data.get(k, "").strip() for k in CHANGEABLE) or flag(data, "doc_valid_long"):
            return []
        return [
            Problem(
                "changes", "R-INFO-2", "没有填写任何变更项目", "请至少填写一项需要变更的信息。", "变更项目"
            )
        ]

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.info_changes import InfoChangeInput

        values: dict[str, object] = {k: (data.get(k, "").strip() or None) for k in CHANGEABLE}
        if flag(data, "doc_valid_long"):
            values["doc_valid_to"] = ""
        values.update(ssn=data["ssn"].strip().upper(), doc_number=data["doc_number"].strip().upper())
        if ctx.card is not None:
            from offline.services.persons import find_person_by_ssn
            from tui.screens.forms.common import adopt_card_in_reader

            if find_person_by_ssn(ctx.store, str(values["ssn"])) is None:
                adopt_card_in_reader(ctx, ssn=str(values["ssn"]))  # a card in hand (R-HLD-1/2)
        result: BusinessResult = info_changes.change_info(ctx, make_input(InfoChangeInput, values))
        return result
