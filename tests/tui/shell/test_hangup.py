"""A dropped SSH session (SIGHUP) ends the operator's session and the demo's helper processes.

Before, the demo was killed mid-flight and left its gateway running; the TUI now exits cleanly.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.tui.tmux_driver import CARDSTATION, TmuxDriver, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


def _processes_mentioning(text: str) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if text in line and "ps -eo" not in line]


def test_hangup_closes_the_session_and_stops_the_demo_gateway(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    argv = [CARDSTATION, "demo", "--dir", str(demo_dir), "--persons", "6"]
    tm = TmuxDriver.start(argv, cwd=tmp_path)
    try:
        tm.login(timeout=90, home=20)
        running = _processes_mentioning(str(demo_dir))
        assert running, "the demo's gateway should be running"
    finally:
        tm.close()  # kills the tmux server: the terminal hangs up
    deadline = time.monotonic() + 15
    while _processes_mentioning(str(demo_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(str(demo_dir)) == []

    from offline.sessions import list_sessions
    from offline.store import Store

    store = Store.open(demo_dir / "station.db")
    try:
        assert list_sessions(store) == []  # no session left open
        row = store.one("SELECT end_reason FROM sessions ORDER BY started_at DESC LIMIT 1")
        assert row is not None and row["end_reason"] == "hangup"
    finally:
        store.close()
