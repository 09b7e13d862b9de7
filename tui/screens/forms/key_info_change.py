"""Item 13 关键信息变更 (R-INFO-1; HB 25; HN 16): name, SSN or photo; forces an exchange.

Name and number changes need the police proof; the new number gets a fresh one person one
card check; the service files the exchange application in the same transaction, so the
operator must also confirm the financial account (R-REP-3).
"""

from __future__ import annotations

from typing import ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.errors import Problem
from offline.services import applications, info_changes
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import SSN
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input
from tui.screens.forms.person_fields import photo_problem, read_photo


def _needs_proof(d: Data) -> bool:
    return bool(d.get("new_name", "").strip() or d.get("new_ssn", "").strip())


class KeyInfoChangeScreen(FormScreen):
    """关键信息变更 → 换领."""

    FORM_ID: ClassVar[str] = "key_info_change"
    ITEM: ClassVar[str] = "key_info_change"
    TITLE: ClassVar[str] = "关键信息变更（须换卡）"
    HINT: ClassVar[str] = "变更姓名、社会保障号码或照片；变更后自动办理换领"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        SSN,
        Field("doc_number", "证件号码", required=True),
        Field("new_name", "新姓名", section="变更为"),
        Field("new_ssn", "新社保号码", max_length=18, restrict=r"[0-9Xx]*"),
        Field("photo_path", "新照片文件", placeholder="JPEG 路径"),
        Field("police_proof", "公安证明", required=True, show_if=_needs_proof, placeholder="证明编号或名称"),
        Field("financial_account_closed", "金融账户已挂失/注销", "flag"),
        Field("mode", "制卡方式", "select", applications.MODES, required=True, default="fast"),
        Field("mailing", "邮寄领卡", "flag"),
        Field("fee_receipt_no", "收费票据号", placeholder="换卡收取工本费时填行政事业性收费票据号码"),
    )

    def extra_problems(self, data: Data) -> list[Problem]:
        if not (_needs_proof(data) or data.get("photo_path", "").strip()):
            return [
                Problem(
                    "new_name",
                    "R-INFO-1",
                    "没有填写任何关键信息变更",
                    "请填写新姓名、新社会保障号码或新照片。",
                    "新姓名",
                )
            ]
        return photo_problem(data)

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.info_changes import KeyInfoChangeInput

        inp = make_input(
            KeyInfoChangeInput,
            dict(
                ssn=data["ssn"].strip().upper(),
                doc_number=data["doc_number"].strip().upper(),
                financial_account_closed=flag(data, "financial_account_closed"),
                new_name=data.get("new_name", "").strip(),
                new_ssn=data.get("new_ssn", "").strip().upper(),
                new_photo=read_photo(data),
                police_proof=data.get("police_proof", "").strip(),
                mode=data.get("mode", "fast"),
                mailing=flag(data, "mailing"),
                fee_receipt_no=data.get("fee_receipt_no", "").strip(),
            ),
        )
        result: BusinessResult = info_changes.change_key_info(ctx, inp)
        return result
