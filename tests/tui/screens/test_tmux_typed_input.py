"""The apply form in a real terminal (tmux, real `cardstation demo`), typed the way people write (R-APP-1).

Dates as on the ID card (2020.5.3), 长期, a phone with dashes, an ID number in groups and the
bank typed as "工行" into its closed list: each field shows "已识别为：…", and the application is
committed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.screens.test_tmux_workflow import applicant, prepare
from tests.tui.tmux_driver import CARDSTATION, Keys, TmuxDriver, make_demo, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


def dotted(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{y}.{int(m)}.{int(d)}"


def test_R_APP_1_apply_form_typed_as_people_write(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    make_demo(demo, persons=4, timeout=240)
    prepare(demo)
    p = applicant(demo)
    phone = p.phone  # type: ignore[attr-defined]
    assert len(phone) == 11
    number = p.doc_number  # type: ignore[attr-defined]
    with TmuxDriver.start([CARDSTATION, "demo", "--dir", str(demo)], cwd=tmp_path) as tm:
        tm.login(timeout=90, home=30)
        k = Keys(tm)
        k.keys("F2")
        tm.wait_for("申领社会保障卡")
        k.type(p.name)  # type: ignore[attr-defined]
        k.keys("Tab", "Tab")
        k.type(f"{number[:6]} {number[6:14]} {number[14:]}")
        k.keys("Tab", "Tab", "Tab", "Tab", "Tab")
        k.pick_first()
        k.keys("Tab")
        k.type(dotted(p.doc_valid_from))  # type: ignore[attr-defined]
        k.keys("Tab")
        tm.wait_for(f"已识别为：{p.doc_valid_from}")  # type: ignore[attr-defined]
        k.type("长期")
        k.keys("Tab")
        tm.wait_for("已识别为：长期")
        k.type(p.household_address)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(p.residence_address)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(f"{phone[:3]}-{phone[3:7]}-{phone[7:]}")
        k.keys("Tab")
        tm.wait_for(f"已识别为：{phone}")
        k.type(str(demo / "photo.jpg"))
        k.keys("Tab", "Tab", "Tab", "Tab")
        k.type("工行")  # the bank by the name people use, into the closed list
        tm.wait_for("已识别为：中国工商银行")
        k.keys("C-s")
        done = tm.wait_for("已办理，受理编号", timeout=30)
        assert p.name in done  # type: ignore[attr-defined]
