"""The printed forms against the Hunan appendix (HN 附件), field by field, with a snapshot of each.

The appendix carries: the guardian or agent; 邮政编码 and a second 联系电话; the 银行卡卡号
(the bank's number, not the social-security card number); 领卡地点; 定点照相编号 or the photo
in 贴照片处; the station (name and number); the ID-copy page; and the right business boxes — a
temporary card is 申领 with 卡类型=临时卡, a key-information change ticks 换领 too, a damaged
temporary card ticks 销卡.
"""

from __future__ import annotations

from typing import Any

import pytest

from offline.business import BusinessResult
from offline.printing.facts import facts_from_result
from offline.printing.text import render_facts_text


class Station:
    province = "hunan"
    service_point = "43012100100100001"


def _result(item: str, details: dict[str, Any], summary: str = "办理") -> BusinessResult:
    return BusinessResult(
        1, "4301210010010000120260302010001", item, "2026-03-02T09:00:00+08:00", 0, summary, (), details
    )


CASES: dict[str, BusinessResult] = {
    "apply_child_with_guardian": _result(
        "apply",
        {
            "kind": "first",
            "name": "欧阳小米",
            "ssn": "430111202107048611",
            "bank": "中国工商银行",
            "person": {
                "guardian": {
                    "name": "欧阳大山",
                    "doc_type": "resident_id",
                    "doc_number": "433101198901055350",
                    "relation": "parent",
                    "proof": "户口簿",
                }
            },
        },
    ),
    "temp_card_issue": _result("temp_card", {"action": "issue", "name": "李四", "card_number": "T00000017"}),
    "key_info_change_exchange": _result(
        "key_info_change",
        {"kind": "exchange", "reason_zh": "关键信息变更", "name": "王新名", "new_card": True},
    ),
    "temp_card_damaged": _result("temp_card", {"action": "damaged_destroy", "card_number": "T00000017"}),
    "mailed_application": _result("apply", {"kind": "first", "name": "赵六", "mailing": True}),
}


def _ticked(text: str) -> list[str]:
    return [piece[1:].split("（")[0] for piece in text.split() if piece.startswith("☑")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_HN_appendix_form_snapshot(case: str, snapshot: Any) -> None:
    text = render_facts_text(facts_from_result(CASES[case], Station()), kind="both")
    for label in ("邮政编码", "联系电话", "银行卡卡号", "定点照相编号", "受理单位"):
        assert label in text, label
    assert text == snapshot


def test_R_APP_8_business_boxes_follow_the_appendix() -> None:
    def boxes(case: str) -> list[str]:
        return _ticked(render_facts_text(facts_from_result(CASES[case], Station()), kind="form"))

    assert "申领" in boxes("temp_card_issue") and "临时社会保障卡" in boxes("temp_card_issue")
    assert {"换领", "关键信息变更"} <= set(boxes("key_info_change_exchange"))
    assert "销卡" in boxes("temp_card_damaged")
    text = render_facts_text(facts_from_result(CASES["apply_child_with_guardian"], Station()), kind="form")
    guardian = text.split("【监护人（代办人）信息】")[1].split("【")[0]
    assert "欧阳大山" in guardian and "父母" in guardian and "户口簿" in guardian
    mailed = render_facts_text(facts_from_result(CASES["mailed_application"], Station()), kind="form")
    assert "领卡地点：邮寄送达" in mailed
