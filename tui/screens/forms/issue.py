"""Item 14 发放: handing out a produced card (R-ISS-3..5, R-ISS-7; HB 14-17; HN 11(4), 28(8)).

Ctrl+K runs the read-card test (读卡检测) on its own and shows what the chip holds and
whether it is genuine, before anything is committed; on submit the service repeats the test,
compares chip, face and record, and either issues the card or sends it back for
re-production as a business of its own (R-ISS-3). Recipient rules (R-ISS-4, R-ISS-7) and the
temporary card settlement (R-ISS-5) are fields here, enforced by the service.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.binding import Binding
from textual.message import Message

from offline import codes
from offline.business import BusinessResult, ServiceContext
from offline.errors import CardstationError, DomainError
from offline.protocols import CardError
from offline.services import issuance
from tui.host import host
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import CARD_NUMBER_OR_CHIP, card_id_for, card_number_of, temp_fee_fields
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input

MODES = {"window": "窗口发放", "door": "上门发放"}
RECIPIENTS = {
    "holder": "本人",
    "agent": "代领人（持回执）",
    "guardian": "监护人",
    "relative": "亲属（配偶/子女/父母）",
}
CATEGORIES = {
    "general": "一般",
    "retired": "退休人员",
    "incapacitated": "无完全民事行为能力人",
    "migrant": "外出务工人员",
}
TEMP_ACTIONS = {
    "none": "无临时卡或已回收",
    "lost": "临时卡丢失（缴费注销）",
    "damaged": "临时卡损坏（缴费销卡）",
}


def _temp_settled(d: Data) -> bool:
    """A lost or damaged temporary card is settled (with its fee) inside this 发放 (R-ISS-5)."""
    return d.get("temp_card_action", "none") in ("lost", "damaged")


def _not_holder(d: Data) -> bool:
    return d.get("recipient", "holder") != "holder"


def read_card_text(chip: Any, genuine: bool) -> str:
    holder = chip.holder
    who = f"{holder.name} 社会保障号 {holder.ssn}" if holder is not None else "芯片内无持卡人信息"
    verdict = "真伪校验通过" if genuine else "真伪校验未通过，不能发放（R-ISS-3）"
    return f"读卡检测：芯片卡号 {chip.card_number}，{who}；{verdict}"


class IssueScreen(FormScreen):
    """发放社会保障卡."""

    FORM_ID: ClassVar[str] = "issue"
    ITEM: ClassVar[str] = "issue"
    TITLE: ClassVar[str] = "发放社会保障卡"
    HINT: ClassVar[str] = "核验证件，插卡后按 Ctrl+K 读卡检测；卡面照片/文字有问题的卡不得发放"
    NEEDS_CARD: ClassVar[bool] = True
    EXTRA_BINDINGS: ClassVar[tuple[Binding, ...]] = (
        Binding("ctrl+k", "read_card", "读卡检测", id="issue.read_card", priority=True),
    )
    FIELDS: ClassVar[tuple[Field, ...]] = (
        CARD_NUMBER_OR_CHIP,
        Field("mode", "发放方式", "select", MODES, required=True, default="window"),
        Field("holder_doc_number", "证件号码", required=True),
        Field("face_photo_ok", "卡面照片清晰一致", "flag"),
        Field("face_text_ok", "卡面文字清晰正确", "flag"),
        Field(
            "face_note",
            "卡面问题",
            show_if=lambda d: not (flag(d, "face_photo_ok") and flag(d, "face_text_ok")),
        ),
        Field("recipient", "领卡人", "select", RECIPIENTS, required=True, default="holder", section="领卡人"),
        Field("recipient_name", "领卡人姓名", required=True, show_if=_not_holder),
        Field("recipient_doc_number", "领卡人证号", required=True, show_if=_not_holder),
        Field("recipient_relation", "亲属关系", "select", codes.RELATIONS, show_if=_not_holder),
        Field("receipt_shown", "已出示领卡回执", "flag", show_if=lambda d: d.get("recipient") == "agent"),
        Field(
            "power_of_attorney",
            "委托书",
            required=True,
            show_if=lambda d: d.get("recipient") == "agent",
            placeholder="持卡人委托书编号或名称（HN 11(4)）",
        ),
        Field("category", "持卡人类别", "select", CATEGORIES, default="general"),
        Field("temp_card_action", "临时卡处理", "select", TEMP_ACTIONS, default="none"),
        *temp_fee_fields(_temp_settled),  # R-ISS-5: the fee and its receipt, as in 临时卡 (R-TMP-4)
        Field("signed", "领卡人已签收", "flag"),
    )

    class ReadCard(Message):
        def __init__(self, text: str, ok: bool, card_number: str = "") -> None:
            super().__init__()
            self.text = text
            self.ok = ok
            self.card_number = card_number

    def action_read_card(self) -> None:
        self.set_status("正在读卡……")
        self._read_card_worker()

    @work(thread=True, exclusive=True, group="issue-read")
    def _read_card_worker(self) -> None:
        try:
            card = host(self.app).make_ctx(with_card=True).card
            assert card is not None
            chip = card.read_card()
            genuine = card.check_genuine()
        except CardError as exc:
            self.post_message(self.ReadCard(f"读卡失败：{exc.message_zh}", False))
            return
        except Exception as exc:
            self.post_message(
                self.ReadCard(
                    f"读卡失败：{exc.message_zh if isinstance(exc, CardstationError) else exc}", False
                )
            )
            return
        self.post_message(self.ReadCard(read_card_text(chip, genuine), genuine, chip.card_number))

    @on(ReadCard)
    def _card_read(self, message: ReadCard) -> None:
        self.set_status(message.text, "good" if message.ok else "bad")
        if message.card_number and not self.values().get("card_number"):
            self.fill({"card_number": message.card_number})

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        from offline.services.issuance import IssueInput

        number = card_number_of(ctx, data)
        if not number:
            raise DomainError.one(
                "card_number", "R-ISS-3", "没有卡号，读卡器中也没有卡", "请插卡或输入卡号。", "社会保障卡号"
            )
        category = data.get("category", "general")
        temp = data.get("temp_card_action", "none")
        inp = make_input(
            IssueInput,
            dict(
                card_id=card_id_for(ctx, number),
                mode=data.get("mode", "window"),
                holder_doc_number=data["holder_doc_number"].strip().upper(),
                face_photo_ok=flag(data, "face_photo_ok"),
                face_text_ok=flag(data, "face_text_ok"),
                signed=flag(data, "signed"),
                recipient=data.get("recipient", "holder"),
                recipient_name=data.get("recipient_name", "").strip(),
                recipient_doc_number=data.get("recipient_doc_number", "").strip().upper(),
                recipient_relation=data.get("recipient_relation", ""),
                receipt_shown=flag(data, "receipt_shown"),
                category="" if category == "general" else category,
                temp_card_action="" if temp == "none" else temp,
                fee_paid=_temp_settled(data) and flag(data, "fee_paid"),
                fee_receipt_no=data.get("fee_receipt_no", "").strip() if _temp_settled(data) else "",
                face_note=data.get("face_note", "").strip(),
                power_of_attorney=data.get("power_of_attorney", "").strip(),
            ),
        )
        result: BusinessResult = issuance.issue_card(ctx, inp)
        return result
