"""End to end in tmux: `cardstation demo` builds the demo, shows the login with the demo accounts,
an operator logs in and sees the home screen with every item, the alerts and the emulated reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.tmux_driver import CARDSTATION, TmuxDriver, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


def test_demo_login_shows_home_in_tmux(tmp_path: Path) -> None:
    argv = [CARDSTATION, "demo", "--dir", str(tmp_path / "demo"), "--persons", "12"]
    with TmuxDriver.start(argv, cwd=tmp_path) as tm:
        login = tm.wait_for("操作员登录", timeout=90)
        assert "wangxh / demo-pass-1" in login  # demo credentials on the login screen
        assert "模拟读卡器" in login
        home = tm.login(home=20)
        assert "王小红" in home.splitlines()[0]
        for name in ("申领", "临时卡", "库存卡/睡眠卡管理", "制卡进度及卡状态查询"):
            assert name in home
        assert "提醒" in tm.wait_for("R-TMP-5")  # temp-card stock below the low mark, in the alerts box
        tm.keys("C-q")
