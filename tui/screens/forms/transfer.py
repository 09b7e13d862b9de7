"""Item 16 归属地省内转移 (R-TRF-1; HN 19): rewrite the card's home region on the chip.

Needs the card in the reader; the service journals the write intent before the chip write
and verifies by reading back. A move to another province is refused (new card there).
"""

from __future__ import annotations

from typing import ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.services import transfer
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import SSN
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input


class TransferScreen(FormScreen):
    """归属地省内转移."""

    FORM_ID: ClassVar[str] = "transfer"
    ITEM: ClassVar[str] = "transfer"
    TITLE: ClassVar[str] = "归属地省内转移"
    HINT: ClassVar[str] = "参保关系已在省内转移后办理；请插入社会保障卡（改写卡内归属地）"
    NEEDS_CARD: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[Field, ...]] = (
        SSN,
        Field("doc_number", "证件号码"),
        Field(
            "new_region",
            "新归属地代码",
            required=True,
            max_length=6,
            restrict=r"[0-9]*",
            placeholder="6 位行政区划代码",
        ),
        Field("insurance_moved", "参保关系已转移", "flag"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.persons import find_person_by_ssn
        from offline.services.transfer import TransferInput
        from tui.screens.forms.common import adopt_card_in_reader

        if find_person_by_ssn(ctx.store, data["ssn"].strip().upper()) is None:
            adopt_card_in_reader(ctx, ssn=data["ssn"])  # a card in hand (R-HLD-1/2)

        inp = make_input(
            TransferInput,
            dict(
                ssn=data["ssn"].strip().upper(),
                new_region=data["new_region"].strip(),
                insurance_moved=flag(data, "insurance_moved"),
                doc_number=data.get("doc_number", "").strip().upper(),
            ),
        )
        result: BusinessResult = transfer.transfer_region(ctx, inp)
        return result
