"""With stdout piped (`cardstation | tee log`), the app still fills the real terminal (issue 16).

Textual asked the size of stdout, got nothing from a pipe and drew 80x24 at 160x50; the
station's driver (tui/terminal.py) asks the terminal it draws on.
"""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path

import pytest

from tests.tui.tmux_driver import CARDSTATION, TmuxDriver, tmux_available
from tui.terminal import terminal_size

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


def test_terminal_size_prefers_the_terminal_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("COLUMNS", "33")
    monkeypatch.setenv("LINES", "7")
    stderr_fd = 2

    def size_of(fd: int) -> os.terminal_size:
        if fd == stderr_fd:  # stderr is the terminal; stdout (a pipe) and stdin are not
            return os.terminal_size((160, 50))
        raise OSError("not a terminal")

    monkeypatch.setattr("tui.terminal._tty_fds", lambda: iter([1, 0, stderr_fd]))
    monkeypatch.setattr(os, "get_terminal_size", size_of)
    assert terminal_size() == (160, 50)

    def no_terminal(fd: int) -> os.terminal_size:
        raise OSError("not a terminal")

    def no_tty(*_args: object) -> int:
        raise OSError("no controlling terminal")

    monkeypatch.setattr(os, "get_terminal_size", no_terminal)
    monkeypatch.setattr(os, "open", no_tty)
    assert terminal_size() == (33, 7)  # nothing to ask: the environment, as Textual did


def test_piped_stdout_draws_at_the_terminal_size(tmp_path: Path) -> None:
    from cardstation.demo_setup import create_station
    from offline.store import Store

    db = tmp_path / "station.db"
    store = Store.open(db)
    create_station(store, datetime.now().astimezone())
    store.close()
    command = f"{shlex.quote(CARDSTATION)} --db {shlex.quote(str(db))} run | cat > {shlex.quote(str(tmp_path / 'out'))}"
    env = {"CARDSTATION_CONFIG": str(tmp_path / "none.toml")}
    with TmuxDriver.start(["sh", "-c", command], cwd=tmp_path, env=env, width=160, height=50) as tm:
        screen = tm.wait_for("操作员登录", timeout=60)
        lines = screen.splitlines()
        assert len(lines) >= 49
        # The login box is centred on 160 columns (at 80x24 it starts at column 10).
        box_line = next(line for line in lines if "操作员登录" in line)
        assert box_line.index("╭") > 40
        # The reader line and the footer are on the last rows of 50, not of 24.
        assert "登录" in lines[49]
        tm.keys("C-q")
