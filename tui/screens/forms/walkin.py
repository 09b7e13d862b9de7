"""未登记持卡人办理: a holder the station does not know and who has no card in hand.

Reached from the loss, cancellation, replacement and query forms when the card or person is not
in this store (their message says "按 Ctrl+W"), from the command palette (wdjckr), or Ctrl+W
anywhere. The business is accepted offline on 社会保障号码 + 姓名 + the document and queued
待卡管核实 (`offline.services.walkins`); the card management system's answer arrives on the
downlink and shows on the person page and, when refused, as an alert.
"""

from __future__ import annotations

from typing import Any, ClassVar

from offline.business import BusinessResult, ServiceContext
from offline.services import cancellation, walkins
from tui.screens.forms.base import FormScreen
from tui.screens.forms.common import SSN
from tui.screens.forms.fields import Data, Field, flag
from tui.screens.forms.host import make_input


def _verbal(d: Data) -> bool:
    return d.get("item") == "temp_loss" and flag(d, "verbal")


class WalkinScreen(FormScreen):
    """临时挂失 / 正式挂失 / 补领 / 注销 / 查询 for a holder not in this store (待卡管核实)."""

    FORM_ID: ClassVar[str] = "walkin"
    ITEM: ClassVar[str] = ""
    TITLE: ClassVar[str] = "未登记持卡人办理（待卡管核实）"
    HINT: ClassVar[str] = "本站无此人记录时使用：按社会保障号码、姓名和证件受理，卡管系统核实后下发结果"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("item", "业务", "select", walkins.WALKIN_ITEMS, required=True, default="temp_loss"),
        SSN,
        Field("name", "姓名", required=True, max_length=30),
        Field("verbal", "口头挂失", "flag", show_if=lambda d: d.get("item") == "temp_loss"),
        Field(
            "doc_type",
            "证件类型",
            "select",
            walkins.WALKIN_DOC_TYPES,
            required=True,
            default="resident_id",
            show_if=lambda d: not _verbal(d),
        ),
        Field("doc_number", "证件号码", required=True, max_length=30, show_if=lambda d: not _verbal(d)),
        Field("card_number", "卡号", max_length=9, restrict=r"[0-9A-Za-z]*", placeholder="知道时填写"),
        Field(
            "receipt_no",
            "受理编号",
            max_length=31,
            restrict=r"[0-9]*",
            show_if=lambda d: d.get("item") == "query",
        ),
        Field(
            "bank", "发卡银行", "select", "banks", required=True, show_if=lambda d: d.get("item") == "replace"
        ),
        Field(
            "reason",
            "注销原因",
            "select",
            cancellation.REASONS,
            required=True,
            show_if=lambda d: d.get("item") == "cancel",
        ),
        Field("note", "备注"),
    )

    def submit(self, ctx: ServiceContext, data: Data) -> BusinessResult:
        inp = make_input(
            walkins.WalkinInput,
            dict(
                item=data.get("item", ""),
                ssn=data.get("ssn", ""),
                name=data.get("name", ""),
                doc_type=data.get("doc_type", "resident_id") or "resident_id",
                doc_number="" if _verbal(data) else data.get("doc_number", ""),
                verbal=_verbal(data),
                card_number=data.get("card_number", ""),
                receipt_no=data.get("receipt_no", ""),
                bank=data.get("bank", ""),
                reason=data.get("reason", "") if data.get("item") == "cancel" else "",
                note=data.get("note", "").strip(),
            ),
        )
        result: BusinessResult = walkins.accept_walkin(ctx, inp)
        return result


def open_walkin(app: Any) -> None:
    """Push the walk-in form, carrying over the item and what was typed in the current form."""
    prefill: Data = {}
    current = app.screen
    if isinstance(current, FormScreen):
        if current.ITEM in walkins.WALKIN_ITEMS:
            prefill["item"] = current.ITEM
        typed = current.values()
        for key in ("ssn", "doc_number", "card_number", "receipt_no"):
            if typed.get(key, "").strip():
                prefill[key] = typed[key].strip()
        if current.ITEM == "temp_loss" and typed.get("verbal") == "1":
            prefill["verbal"] = "1"
        doc = prefill.get("doc_number", "").upper()
        if "ssn" not in prefill and len(doc) == 18 and doc[:17].isdigit():
            prefill["ssn"] = doc  # an identity-card number is the social security number (R-ID-3)
    push = getattr(app, "push_unique", app.push_screen)
    push(WalkinScreen(prefill=prefill or None))
