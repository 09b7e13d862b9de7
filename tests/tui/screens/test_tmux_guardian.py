"""R-ID-5 end to end in tmux on the real `cardstation` binary: a 5-year-old enrolled on a 户口簿
with a guardian, the form printed (saved), and the guardian on it (HB 7, HN 3, HN 附件).

Before, the application form had no field for the proof of guardianship the service demands,
and the printed form said "姓名：—" under 监护人. The test types everything through the keys a
clerk uses, saves the form (T: text, D: PDF) and reads the guardian back from both files.
"""

from __future__ import annotations

import dataclasses
import random
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.tui.tmux_driver import CARDSTATION, Keys, TmuxDriver, make_demo, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


class RulesTmux(TmuxDriver):
    """The same driver, under a server and session name of this area's own."""

    def __init__(self, socket: str, session: str = "t") -> None:
        super().__init__("rules-" + socket, "rules-guardian")


def people() -> tuple[Any, Any]:
    from offline.samples import sample_person

    today = date.today()
    child = sample_person(random.Random(55), province="hunan", age_range=(5, 5), today=today, photo=False)
    adult = sample_person(random.Random(56), province="hunan", age_range=(30, 40), today=today)
    return dataclasses.replace(child, name="欧阳小米"), dataclasses.replace(adult, name="欧阳大山")


def test_R_ID_5_child_with_guardian_on_household_register_printed_form(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    make_demo(demo, persons=4, timeout=240)
    child, guardian = people()
    with RulesTmux.start([CARDSTATION, "demo", "--dir", str(demo)], cwd=tmp_path, width=100, height=40) as tm:
        tm.login(timeout=90, home=30)
        k = Keys(tm)
        k.keys("F2")
        tm.wait_for("申领社会保障卡")
        k.type(child.name)
        k.keys("Tab")  # → 证件类型
        k.pick(2)  # 居民身份证 → 临时居民身份证 → 户口簿
        screen = tm.wait_for("户口簿")
        k.keys("Tab")
        k.type(child.doc_number)
        k.keys("Tab", "Tab", "Tab", "Tab", "Tab")  # 性别, 出生日期, 民族, 国籍 → 职业
        k.pick(1)
        k.keys("Tab")  # 户口簿: no 有效期 fields (R-ID-1) → 户口所在地
        screen = tm.capture()
        assert "有效期起" not in screen, screen
        k.type(child.household_address)
        k.keys("Tab")
        k.type(child.residence_address)
        k.keys("Tab")
        k.type(guardian.phone)
        k.keys("Tab", "Tab", "Tab", "Tab", "Tab")  # 照片 (under 7: none), 无完全行为能力, 渠道, 方式 → 银行
        k.pick(1)
        k.keys("Tab", "Tab", "Tab")  # 邮寄领卡, 原卡金融账户已销户 → 监护人姓名
        screen = tm.wait_for("监护人姓名")
        k.type(guardian.name)
        k.keys("Tab", "Tab")  # 监护人证件 (居民身份证) → 证号
        k.type(guardian.doc_number)
        k.keys("Tab")  # → 监护关系
        k.pick(1)  # 父母
        k.keys("C-s")  # 监护证明 preset to 户口簿
        done = tm.wait_for("已办理，受理编号", timeout=30)
        assert child.name in done
        k.keys("t")  # save the form + receipt as text
        saved = tm.wait_for("已保存", timeout=30)
        k.keys("d")  # and as PDF
        time.sleep(2)
        saved = tm.capture()
        k.keys("C-q")
    receipts = demo / "receipts"
    text = next(receipts.glob("*.txt")).read_text(encoding="utf-8")
    block = (
        text.split("【监护人（代办人）信息】")[1].split("【")[0]
        if "【监护人（代办人）信息】" in text
        else text
    )
    assert guardian.name in block and guardian.doc_number in block, text
    assert "关系：父母" in block and "证明材料：户口簿" in block, block
    pdf = next(receipts.glob("*.pdf"))
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert guardian.name in out.stdout.replace(" ", ""), (saved, out.stdout[:2000])
