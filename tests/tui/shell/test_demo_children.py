"""The demo's gateway (and emulator) die with the demo, whatever stops it — SIGTERM, or SIGKILL
which allows no clean-up at all — and a second demo on the same folder is refused.

Before: both signals left the gateway running, and the next start ran two gateways on one
database. `ps` after the signal is the check, as the red team did it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.tui.tmux_driver import CARDSTATION, TmuxDriver, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


def _ps(text: str) -> list[tuple[int, str]]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines()[1:]:
        pid, _, args = line.strip().partition(" ")
        if text in args and "ps -ww" not in args and "tmux" not in args:
            found.append((int(pid), args))
    return found


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_demo_children_die_with_the_demo_and_a_second_demo_is_refused(tmp_path: Path, sig: int) -> None:
    demo_dir = tmp_path / "demo"
    tm = TmuxDriver.start([CARDSTATION, "demo", "--dir", str(demo_dir), "--persons", "6"], cwd=tmp_path)
    try:
        tm.wait_for("操作员登录", timeout=90)
        demo = [p for p, a in _ps(str(demo_dir)) if " demo --dir " in a]
        children = [p for p, a in _ps(str(demo_dir)) if "gateway serve" in a]
        assert len(demo) == 1 and children, _ps(str(demo_dir))
        second = subprocess.run(
            [sys.executable, "-m", "cardstation.cli", "demo", "--dir", str(demo_dir), "--no-tui"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1 and "演示已在运行" in second.stderr
        assert [p for p, a in _ps(str(demo_dir)) if "gateway serve" in a] == children  # no second gateway
        os.kill(demo[0], sig)
        deadline = time.monotonic() + 10
        while _ps(str(demo_dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _ps(str(demo_dir)) == []
    finally:
        tm.close()
