"""Chinese texts the gateway sends down to stations (application results and the like)."""

from __future__ import annotations

ONE_CARD_OTHER = (
    "一人一卡（R-APP-3）：该社会保障号码已有有效卡或办理中的申领（受理编号 {receipt_no}），本次申领不予受理。"
)
NO_SSN = "申领数据缺少社会保障号码，无法受理。请核对后重新申领。"
ACCEPTED = "已受理，进入制卡。"
