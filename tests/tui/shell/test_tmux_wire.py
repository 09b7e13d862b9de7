"""End to end in tmux: writing only changed cells leaves the real terminal exactly right.

The station's compositor sends only the cells that differ from what the terminal shows
(tui/widgets/wire.py). If it ever got that wrong, the terminal would keep stale characters
that a full repaint would fix. So: drive a form (typing, deleting, Tab, a dropdown over other
fields, Chinese text), capture the pane, force a full repaint by resizing the window away and
back, capture again — the two must show the same characters. (Styles are not compared: a bold
blank and an erased cell look the same and are sent as the cheaper one, but tmux records them
apart.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.tui.tmux_driver import CARDSTATION, TmuxDriver, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


def _styled(tm: TmuxDriver) -> str:
    return tm.capture()


def _settle() -> None:
    time.sleep(0.8)


def test_changed_cells_only_output_matches_a_full_repaint(tmp_path: Path) -> None:
    from datetime import datetime

    from cardstation.demo_setup import create_station
    from offline.store import Store

    db = tmp_path / "station.db"
    store = Store.open(db)
    create_station(store, datetime.now().astimezone())
    store.close()
    argv = [CARDSTATION, "--db", str(db), "run"]
    with TmuxDriver.start(argv, cwd=tmp_path, env={"CARDSTATION_CONFIG": str(tmp_path / "none.toml")}) as tm:
        tm.login(timeout=60, home=20)
        tm.keys("H")
        tm.wait_for("新发卡银行", timeout=20)
        tm.type("L00001")
        tm.keys("BSpace", "BSpace")
        tm.type("23")
        tm.keys("Tab")
        tm.type("430121欧阳")
        tm.keys("BSpace", "Tab", "Enter")  # open the bank dropdown over the fields below
        _settle()
        tm.keys("Down", "Down", "Down")
        _settle()
        with_dropdown = _styled(tm)
        tm.keys("Enter", "Tab")
        _settle()
        before = _styled(tm)
        assert "L00023" in before and "430121欧" in before, before
        tm._tmux("resize-window", "-t", tm.session, "-x", "81", "-y", "24")
        _settle()
        tm._tmux("resize-window", "-t", tm.session, "-x", "80", "-y", "24")
        _settle()
        after = _styled(tm)
        assert before == after
        assert "中国建设银行" in with_dropdown  # the dropdown was drawn over the form
        tm.keys("C-q")
