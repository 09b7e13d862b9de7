"""The demo in tmux, following the operator manual's 演示 section (docs/操作手册.md §10): each of the
18 items once, on the real `cardstation demo` binary, with the holder the manual names and its keys,
inserting cards with 模拟插卡 (Ctrl+O). At the end the queue empties with no keypress.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from tests.tui.tmux_driver import CARDSTATION, Keys, TmuxDriver, make_demo, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")
PIN = "482913"


def holders(demo: Path) -> dict[str, dict[str, str]]:
    with (demo / "roster.csv").open(encoding="utf-8", newline="") as fh:
        return {r["姓名"]: r for _, r in zip(range(21), csv.DictReader(fh), strict=False)}


def test_every_item_once_in_the_demo_following_the_manual(tmp_path: Path) -> None:
    demo = tmp_path / "demo-data"
    make_demo(demo, persons=8, timeout=300, cwd=tmp_path)
    who = holders(demo)
    with TmuxDriver.start(
        [CARDSTATION, "demo", "--dir", str(demo)], cwd=tmp_path, width=100, height=30
    ) as tm:
        k = Keys(tm, pause=0.2)
        tm.login(timeout=90, home=30)

        def home() -> None:
            """Esc back to the home menu; a form with text asks first (Y leaves, its draft is kept)."""
            for _ in range(10):
                screen = tm.capture()
                if "业务菜单" in screen:
                    return
                k("y" if "确定返回吗" in screen else "Escape")
                time.sleep(0.3)
            tm.wait_for("业务菜单", timeout=5)

        def person(name: str) -> None:
            home()
            k("F5")
            tm.wait_for("查询人员")
            k(f"t:{name}")
            tm.wait_for("找到 1 人", timeout=15)
            k("Enter")
            tm.wait_for("申请进度", timeout=15)

        def insert(name: str = "") -> None:
            k("C-o")
            tm.wait_for("模拟插卡（演示）")
            if name:
                k(f"t:{name}")
                tm.wait_for("找到 1 张卡", timeout=15)
                k("Enter")
            else:
                tm.wait_for("临时卡", timeout=15)
                k("Down", "Enter")
            tm.wait_for("已插入模拟卡", timeout=15)

        def done(item: str) -> None:
            screen = tm.wait_for("已办理，受理编号", timeout=30)
            assert item in screen, screen
            k("Enter")

        # 1 申领
        home()
        k("F2")
        tm.wait_for("申领社会保障卡")
        r = who["刘桂兰"]
        k("t:刘桂兰", "Tab", "Tab", f"t:{r['社会保障号码']}", "Tab", "Tab", "Tab", "Tab", "Tab")
        k("Enter", "Down", "Enter", "Tab", "t:2015-03-01", "Tab", "Tab", f"t:{r['常住地址']}", "Tab")
        k(f"t:{r['常住地址']}", "Tab", f"t:{r['联系电话']}", "Tab", f"t:{demo / 'demo-photo.jpg'}")
        k("Tab", "Tab", "Tab", "Tab", "Enter", "Down", "Enter", "C-s")
        done("申领")
        # 2 补领
        person("陈志强")
        k("b", "Enter", "Tab", "Tab", "Tab", "space", "Tab", "Tab", "Tab", "Tab", "t:湘财票 0001", "C-s")
        done("补领")
        # 3 注销
        person("周玉梅")
        k("n", "Tab", "Enter", "Down", "Down", "Down", "Enter", "Tab", "Tab", "space", "C-s")
        done("注销")
        # 4 社保功能激活
        person("吴小燕")
        k("h")
        insert("吴小燕")
        k("Tab", "Tab", "space", "Tab", f"t:{PIN}", "Tab", f"t:{PIN}", "C-s")
        done("社会保障功能激活")
        # 5 临时挂失
        person("黄德明")
        k("g", "C-s")
        done("临时挂失")
        # 6 正式挂失
        person("林秀英")
        k("z", "C-s")
        done("正式挂失")
        # 7 解挂
        person("何文斌")
        k("j", "C-s")
        done("解挂")
        # 8 密码修改
        person("张建国")
        k("m")
        insert("张建国")
        k("Tab", "t:666666", "Tab", f"t:{PIN}", "Tab", f"t:{PIN}", "C-s")
        done("密码修改")
        # 9 密码重置
        person("郭丽华")
        k("c")
        insert("郭丽华")
        k("Tab", "Tab", f"t:{PIN}", "Tab", f"t:{PIN}", "C-s")
        done("密码重置")
        # 10 密码解锁
        person("马志刚")
        k("u")
        insert("马志刚")
        k("C-s")
        done("密码解锁")
        # 11 制卡进度及卡状态查询 (read-only: no receipt)
        person("罗红梅")
        k("q", "C-s")
        assert "罗红梅" in tm.wait_for("查询完成", timeout=15)
        # 12 非关键信息变更
        person("梁海波")
        k("x", *(["Tab"] * 11), "t:13807310001", "C-s")
        done("非关键信息变更")
        # 13 关键信息变更
        person("谢春燕")
        k("d", "Tab", "Tab", "t:谢春艳", "Tab", "Tab", "Tab", "t:长沙县公安局户籍证明", "Tab", "space")
        k("Tab", "Tab", "Tab", "t:湘财票 0002", "C-s")
        done("关键信息变更")
        # 14 发放
        person("宋国庆")
        k("f")
        insert("宋国庆")
        k("Tab", "Tab", f"t:{who['宋国庆']['社会保障号码']}", "Tab", "space", "Tab", "space", "C-s")
        tm.wait_for("领卡人尚未签字", timeout=15)
        k("space", "C-s")
        done("发放")
        # 15 临时卡
        person("唐美玲")
        k("k")
        tm.wait_for("临时社会保障卡")
        insert()
        k(*(["Tab"] * 6), "space", "C-s")  # nothing is ticked for the operator: 办理人已签字 (R-TMP-2)
        done("临时卡发放")
        # 16 归属地省内转移
        person("许建军")
        k("y")
        insert("许建军")
        k("Tab", "Tab", "t:430181", "Tab", "space", "C-s")
        done("归属地省内转移")
        # 17 发卡银行变更
        person("韩秀兰")
        k(
            "e",
            "Tab",
            "Tab",
            "Enter",
            "Down",
            "Enter",
            "Tab",
            "Enter",
            "Down",
            "Enter",
            "Tab",
            "t:工资卡改在本地银行",
        )
        k("C-s")
        done("发卡银行变更")
        # 18 库存卡管理: sign in 冯志明's card
        home()
        k("F9")
        tm.wait_for("库存卡管理")
        k("i")
        tm.wait_for("签收入库")
        k(f"t:{who['冯志明']['社会保障卡卡号']}", "C-s")
        done("入库")

        # no keypress: everything goes up by itself
        home()
        screen = tm.wait_for("待传 0", timeout=60)
        assert "已联网" in screen.splitlines()[0], screen.splitlines()[0]
        k("C-q")
