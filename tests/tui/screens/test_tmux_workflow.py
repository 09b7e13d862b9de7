"""End to end in tmux with the real `cardstation` binary, a real gateway process and the demo's
emulated reader: log in, apply for a person (F2), put the blank stock card in the reader (Ctrl+O
模拟插卡), issue a temporary card (F4), sync (F8), and
see the gateway's acknowledgement on screen, then on the person's page (F5).

The demo store is built first with `cardstation demo --no-tui`; the test then signs the
reader's blank temporary card into stock through the real services (the demo's stock holds
other invented numbers), writes the applicant's photo to a file, and drives the TUI by keys.
"""

from __future__ import annotations

import dataclasses
import random
import re
import time
from datetime import date
from pathlib import Path

import pytest

from tests.tui.tmux_driver import CARDSTATION, Keys, TmuxDriver, make_demo, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


def prepare(demo: Path) -> None:
    """Put the reader's blank temporary card into the station's stock (R-TMP-5)."""
    from cardstation.sealing import station_sealer
    from cardstation.wiring import make_context, open_station
    from devices.emulator.factory import card_number_for
    from offline.business import Operator
    from offline.operators import get_operator
    from offline.services.temp_cards import distribute, put_in_stock, sign_in_temp_cards

    store, info = open_station(demo / "station.db")
    try:
        sup = get_operator(store, "lizg")
        assert sup is not None
        ctx = make_context(
            store, info, Operator(sup.id, sup.username, sup.real_name, sup.role), sealer=station_sealer(store)
        )
        number = [card_number_for(1)]
        sign_in_temp_cards(ctx, number)
        distribute(ctx, number)
        put_in_stock(ctx, number)
    finally:
        store.close()


def applicant(demo: Path) -> object:
    from offline.samples import sample_person

    person = sample_person(random.Random(2026), province="hunan", age_range=(30, 50), today=date.today())
    person = dataclasses.replace(person, name="欧阳娜娜")
    (demo / "photo.jpg").write_bytes(person.photo or b"")
    return person


def wait_any(tm: TmuxDriver, texts: tuple[str, ...], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tm.capture()
        if any(t in screen for t in texts):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"none of {texts} on screen after {timeout}s:\n{screen}")


def test_apply_issue_temp_card_sync_and_see_ack(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    make_demo(demo, persons=8, timeout=240)
    prepare(demo)
    p = applicant(demo)
    with TmuxDriver.start([CARDSTATION, "demo", "--dir", str(demo)], cwd=tmp_path) as tm:
        tm.login(timeout=90, home=30)
        k = Keys(tm)

        # ---- F2 申领: type the applicant, Tab from field to field -------------------------
        k.keys("F2")
        tm.wait_for("申领社会保障卡")
        k.type(p.name)  # type: ignore[attr-defined]
        k.keys("Tab", "Tab")  # → 证件类型 (居民身份证 preset) → 证件号码
        k.type(p.doc_number)  # type: ignore[attr-defined]
        k.keys("Tab", "Tab", "Tab", "Tab", "Tab")  # 性别 (from the number), 出生日期, 民族, 国籍 → 职业
        k.pick_first()
        k.keys("Tab")
        k.type(p.doc_valid_from)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(p.doc_valid_to)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(p.household_address)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(p.residence_address)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(p.phone)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(str(demo / "photo.jpg"))
        k.keys("Tab", "Tab", "Tab", "Tab")  # 无完全行为能力, 申领渠道, 制卡方式 → 发卡银行
        k.pick_first()
        k.keys("C-s")
        done = tm.wait_for("已办理，受理编号", timeout=30)
        assert "欧阳娜娜" in done
        k.keys("Enter")  # 完成
        tm.wait_for("业务菜单")

        # ---- Ctrl+O 模拟插卡: the blank stock card goes in the emulated reader --------------
        k.keys("C-o")
        tm.wait_for("模拟插卡")
        k.type("L00000011")
        tm.wait_for("找到 1 张卡", timeout=15)
        k.keys("Enter")
        tm.wait_for("业务菜单")

        # ---- F4 临时卡: the blank card in the (emulated) reader is personalised -------------
        k.keys("F4")
        tm.wait_for("临时社会保障卡")
        k.keys("Tab", "Tab")  # 办理事项 (申领发卡) → 卡号 (empty: the reader's card) → 社保号码
        k.type(p.doc_number)  # type: ignore[attr-defined]
        k.keys("Tab")
        k.type(p.doc_number)  # type: ignore[attr-defined]
        k.keys("Tab", "Tab", "Tab", "space")  # 代办人姓名, 代办人证号 → 办理人已签字 (never pre-ticked)
        k.keys("C-s")
        done = tm.wait_for("已办理，受理编号", timeout=30)
        assert "临时卡发放" in done
        k.keys("Enter")
        tm.wait_for("业务菜单")

        # ---- F8 同步: upload to the gateway process, acknowledgements come back -----------
        k.keys("F8")
        tm.wait_for("数据同步")
        k.keys("s")
        synced = wait_any(tm, ("本次同步", "同步完成", "自动同步"), timeout=60)
        assert re.search(r"(已确认|确认) ?[1-9]", synced), synced  # the gateway acknowledged envelopes

        # ---- F5 查询 → person page: each business shows the gateway's acknowledgement ------
        k.keys("Escape")
        tm.wait_for("业务菜单")
        k.keys("F5")
        tm.wait_for("查询人员")
        k.type("欧阳娜娜")
        tm.wait_for("找到 1 人", timeout=15)
        k.keys("Enter")
        page = tm.wait_for("办理记录", timeout=15)
        page = tm.wait_for("已确认", timeout=15)
        assert "申领" in page and "临时卡" in page
        k.keys("C-q")
