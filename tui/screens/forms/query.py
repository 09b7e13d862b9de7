"""Item 11 制卡进度及卡状态查询 (R-INFO-3; HB 27; HN 18): read-only, writes no business.

Any one of SSN, card number or receipt number; the answer (production progress, card status,
where and when to collect) is shown below the fields.
"""

from __future__ import annotations

from typing import Any, ClassVar

from offline.business import ServiceContext
from offline.errors import Problem
from offline.services import queries
from tui.screens.forms.base import FormScreen
from tui.screens.forms.fields import Data, Field


class QueryScreen(FormScreen):
    """制卡进度及卡状态查询."""

    FORM_ID: ClassVar[str] = "query"
    KEEPS_DRAFT: ClassVar[bool] = False  # read-only: nothing to lose
    ITEM: ClassVar[str] = "query"
    TITLE: ClassVar[str] = "制卡进度及卡状态查询"
    HINT: ClassVar[str] = "填写社会保障号码、卡号或受理编号之一，Ctrl+S 查询"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("ssn", "社保号码", max_length=18, restrict=r"[0-9Xx]*"),
        Field("card_number", "卡号", max_length=9, restrict=r"[0-9A-Za-z]*"),
        Field("receipt_no", "受理编号", max_length=31, restrict=r"[0-9]*"),
    )

    def extra_problems(self, data: Data) -> list[Problem]:
        if any(data.get(k, "").strip() for k in ("ssn", "card_number", "receipt_no")):
            return []
        return [
            Problem(
                "ssn",
                "R-INFO-3",
                "没有填写查询条件",
                "请填写社会保障号码、卡号或受理编号之一。",
                "社会保障号码",
            )
        ]

    def submit(self, ctx: ServiceContext, data: Data) -> Any:
        return queries.card_progress(
            ctx,
            ssn=data.get("ssn", "").strip().upper() or None,
            card_number=data.get("card_number", "").strip().upper() or None,
            receipt_no=data.get("receipt_no", "").strip() or None,
        )
