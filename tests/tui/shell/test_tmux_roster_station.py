"""A fresh, real (non-demo) station in tmux, enrolled to a gateway process that holds a roster:
search a holder the station never enrolled, report a temporary loss, watch it upload on the sync
screen with no keypress, and see the gateway's acknowledgement on the holder's page.

Everything goes through the real CLI: `gateway serve`, `gateway roster import`, `init`,
`operator add`, `gateway register-station --area`, `keys enrol`, then `cardstation` itself. The
gateway's store is either engine (tests/sync/backends.py): a SQLite file or a PostgreSQL database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.sync.backends import Backend, backend  # noqa: F401 (fixture)
from tests.tui.tmux_driver import CARDSTATION, TmuxDriver, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")
STATION = "4301210010010000101"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [CARDSTATION, *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return out.stdout


def test_fresh_station_serves_a_roster_holder_and_syncs_by_itself(
    tmp_path: Path,
    backend: Backend,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cardstation.demo_roster import DEMO_AREA, write_demo_roster

    target = backend.target(tmp_path / "gw")
    for name, value in target.env.items():  # every `gateway` command finds the same key file
        monkeypatch.setenv(name, value)
    gw_db, st_db = target.db, tmp_path / "station.db"
    roster = write_demo_roster(tmp_path / "roster.csv", count=500)
    holder = roster.featured["temp_loss"]  # 黄德明, card 正常
    port = _port()
    gateway = subprocess.Popen(
        [CARDSTATION, "gateway", "serve", "--db", str(gw_db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
                break
            except OSError:
                time.sleep(0.1)
        _cli("gateway", "roster", "import", "--db", str(gw_db), str(roster.path))
        _cli(
            "--db", str(st_db), "init", "--province", "hunan", "--service-point", STATION[:17],
            "--admin", "admin", "--admin-name", "欧阳娜娜",
            env={"CARDSTATION_ADMIN_PASSWORD": "admin-pass-9"},
        )  # fmt: skip
        _cli(
            "--db", str(st_db), "operator", "add", "--as", "admin", "wangxh", "--name", "王小红",
            "--role", "operator",
            env={"CARDSTATION_PASSWORD": "admin-pass-9", "CARDSTATION_NEW_PASSWORD": "window-pass-7"},
        )  # fmt: skip
        token = (
            _cli(
                "gateway",
                "register-station",
                "--db",
                str(gw_db),
                "--station-id",
                STATION,
                "--area",
                DEMO_AREA,
            )
            .strip()
            .splitlines()[-1]
        )
        enrolled = _cli(
            "--db", str(st_db), "keys", "enrol", "--url", f"http://127.0.0.1:{port}", "--token", token
        )
        assert "名册" in enrolled, enrolled

        with TmuxDriver.start([CARDSTATION, "--db", str(st_db)], cwd=tmp_path, width=100, height=30) as tm:
            tm.wait_for("操作员登录", timeout=60)
            for key in ("wangxh", "Enter", "window-pass-7", "Enter"):
                (tm.keys if key == "Enter" else tm.type)(key)
                time.sleep(0.3)
            tm.wait_for("业务菜单", timeout=30)
            # 1. search a holder the station never enrolled (from the roster)
            tm.keys("F5")
            tm.wait_for("查询人员")
            tm.type(holder.name)
            found = tm.wait_for("找到 1 人", timeout=15)
            assert holder.card_number in found
            tm.keys("Enter")
            tm.wait_for("申请进度", timeout=15)
            # 2. report a temporary loss from the holder's page
            tm.keys("g")
            tm.wait_for("临时挂失")
            time.sleep(0.5)
            tm.keys("C-s")
            tm.wait_for("已办理，受理编号", timeout=30)
            tm.keys("Enter")
            tm.wait_for("申请进度", timeout=15)
            # 3. the sync screen: it goes up with no keypress
            tm.keys("F8")
            tm.wait_for("数据同步")
            synced = tm.wait_for("自动同步：发送", timeout=60)  # the run that took the loss up
            assert "正在同步" not in synced.splitlines()[0]
            tm.wait_for("待传 0", timeout=30)
            # 4. the acknowledgement on the person page
            tm.keys("Escape")
            tm.wait_for("申请进度", timeout=15)
            deadline = time.monotonic() + 30
            page = tm.capture()
            while time.monotonic() < deadline and not any(
                "临时挂失" in line and "已确认" in line for line in page.splitlines()
            ):
                time.sleep(0.3)
                page = tm.capture()
            assert any("临时挂失" in line and "已确认" in line for line in page.splitlines()), page
            assert "临时挂失" in page.split("社会保障卡")[1]  # the card's status on the page, too
            tm.keys("C-q")
    finally:
        gateway.terminate()
        try:
            gateway.wait(10)
        except subprocess.TimeoutExpired:
            gateway.kill()
