"""Item 1 申领: the application form (R-ID-1..5, R-APP-1..8, R-APP-10; HB 10-13, 39-41; HN 11).

The guardian block appears only for a minor under 16 or a person without full capacity
(R-ID-5), the agent block only for proxy channels (R-ID-4), the mailing address only when the
card is mailed. Inline validation runs `offline.validation.validate_person`; the service
(`offline.services.applications.apply_card`) re-checks everything, including one person one
card (R-APP-3), under its transaction.

Where a USB signature pad is configured, Ctrl+G 读取签名 takes the applicant's signature from it
(every form with a 签字 box does: `base.FormScreen.action_read_signature`, HB 11, 13, 39).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.widgets import Input

from offline.business import BusinessResult, ServiceContext
from offline.errors import Problem
from offline.services import applications
from tui.host import host
from tui.screens.forms.base import FormScreen
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.person_fields import (
    AGENT_FIELDS,
    GUARDIAN_FIELDS,
    PERSON_FIELDS,
    derived_sex,
    field_key,
    needs_agent,
    person_input,
    photo_problem,
    read_doc_images,
    read_photo,
)

APPLY_FIELDS: tuple[Field, ...] = (
    Field(
        "channel",
        "申领渠道",
        "select",
        applications.CHANNELS,
        required=True,
        default="local",
        section="申领方式",
    ),
    Field("mode", "制卡方式", "select", applications.MODES, required=True, default="fast"),
    Field("bank", "发卡银行", "select", "banks", required=True),
    Field("unit_name", "代办单位", required=True, show_if=lambda d: d.get("channel") == "proxy_unit"),
    Field("mailing", "邮寄领卡", "flag"),
    Field(
        "mailing_address",
        "邮寄地址",
        required=True,
        # HB 27, HN 18, HB 40: online and 省内异地 cards are mailed too
        show_if=lambda d: flag(d, "mailing") or d.get("channel", "") in ("online", "remote"),
    ),
    Field(
        "old_account_closed", "原卡金融账户已销户", "flag", placeholder="曾注销过社保卡的须先销户（HB 33）"
    ),
)

#: HB 11: photos of both sides of the document; HB 13, 39: the applicant signs the printed form.
SIGN_FIELDS: tuple[Field, ...] = (
    Field("doc_front_path", "证件正面照片", section="证件照片与签字", placeholder="图片文件路径（HB 11）"),
    Field("doc_back_path", "证件反面照片", placeholder="图片文件路径（HB 11）"),
    Field("signed", "申请人已签字确认", "flag"),
)


def validator_problems(problems: list[Problem], keys: set[str]) -> list[Problem]:
    """Validator problems with their field renamed to the form's key when the form has it."""
    out = []
    for p in problems:
        key = field_key(p.field)
        out.append(dataclasses.replace(p, field=key) if key in keys else p)
    return out


class ApplyScreen(FormScreen):
    """申领社会保障卡."""

    FORM_ID: ClassVar[str] = "apply"
    ITEM: ClassVar[str] = "apply"
    TITLE: ClassVar[str] = "申领社会保障卡"
    HINT: ClassVar[str] = "填写申请人信息；Enter 下一项，Ctrl+S 提交，Esc 返回（草稿自动保存）"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        *PERSON_FIELDS,
        *APPLY_FIELDS,
        *GUARDIAN_FIELDS,
        *AGENT_FIELDS,
        *SIGN_FIELDS,
    )

    @on(Input.Blurred, "#f-doc_number")
    def _derive_sex(self, event: Input.Blurred) -> None:
        """R-ID-3: a mainland number carries the sex; fill it so the operator sees and checks it."""
        if self.app.screen is not self or self.busy:
            return
        data = self.values()
        sex = derived_sex(data)
        if sex and not data.get("sex"):
            self.fill({"sex": sex})

    def today(self) -> date:
        return host(self.app).services.now().date()

    def extra_problems(self, data: Data) -> list[Problem]:
        from offline.validation import validate_person

        try:
            person = person_input(data, photo=None, bank=data.get("bank", ""))
            found = validate_person(person, today=self.today(), profile=host(self.app).services.profile)
        except (TypeError, ValueError):
            return photo_problem(data)
        keys = {f.key for f in self.FIELDS}
        problems = validator_problems(list(found), keys)
        if data.get("photo_path", "").strip():  # the file is checked by the service on submit
            problems = [p for p in problems if p.field != "photo_path"]
        if not needs_agent(data):
            problems = [p for p in problems if not p.field.startswith("agent")]
        return [*photo_problem(data), *problems]

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.applications import ApplicationInput

        photo = read_photo(data)
        inp: Any = ApplicationInput(
            person=person_input(data, photo=photo, bank=data.get("bank", "")),
            channel=data["channel"],
            mode=data["mode"],
            bank=data["bank"],
            unit_name=data.get("unit_name", "").strip(),
            mailing=flag(data, "mailing"),
            old_account_closed=flag(data, "old_account_closed"),
            doc_scans=read_doc_images(data),
            signed=flag(data, "signed"),
        )
        result: BusinessResult = applications.apply_card(ctx, inp)
        return result
