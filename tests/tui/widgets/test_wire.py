"""The wire format: only changed cells, blank runs erased, same screen as a full repaint.

A small virtual terminal (CUP, SGR, EL, ECH, CUF, text) replays what the compositor writes;
after every update it must show exactly what a full frame would show.
"""

from __future__ import annotations

import re
from typing import Any

from rich.cells import get_character_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Static

from tui.widgets.compact import CompactInput, CompactScreen
from tui.widgets.wire import DiffChopsUpdate, ShadowLayoutUpdate, TerminalShadow, render_cells, shadow_for

_SEQ = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])")


class VirtualTerminal:
    """Characters and 'look' (bg, reverse, underline) per cell; enough for equality of screens."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells = [[(" ", "") for _ in range(width)] for _ in range(height)]
        self.x = self.y = 0
        self.look = ""

    def feed(self, data: str) -> None:
        i = 0
        while i < len(data):
            m = _SEQ.match(data, i)
            if m:
                args, op = m.group(1), m.group(2)
                nums = [int(a) if a else 0 for a in args.split(";")] if args else []
                if op == "H":
                    row, column = [*nums, 1, 1][:2]
                    self.y, self.x = row - 1, column - 1
                elif op == "m":
                    self.look = "" if nums in ([], [0]) else args
                elif op == "K":
                    for x in range(self.x, self.width):
                        self.cells[self.y][x] = (" ", "")
                elif op == "X":
                    for x in range(self.x, min(self.width, self.x + (nums[0] if nums else 1))):
                        self.cells[self.y][x] = (" ", "")
                elif op == "C":
                    self.x += nums[0] if nums else 1
                i = m.end()
                continue
            ch = data[i]
            if ch == "\n":
                self.y += 1
            elif ch == "\r":
                self.x = 0
            else:
                self.cells[self.y][self.x] = (ch, self.look)
                if get_character_cell_size(ch) == 2:
                    self.cells[self.y][self.x + 1] = ("", self.look)
                    self.x += 1
                self.x += 1
            i += 1

    def text(self) -> list[str]:
        return ["".join(ch for ch, _ in row) for row in self.cells]


CONSOLE = Console(color_system="256", force_terminal=True, width=40, legacy_windows=False)


def _plain(cells: list[tuple[str, Any]]) -> str:
    return "".join(ch for ch, _ in cells)


def test_render_cells_erases_plain_blank_runs_only() -> None:
    blue = Style(bgcolor="blue")
    under = Style(underline=True)
    cells: list[Any] = [("a", None)] + [(" ", None)] * 20 + [("b", None)] + [(" ", None)] * 10
    out = render_cells(cells, CONSOLE, to_line_end=True)
    assert "\x1b[20X\x1b[20C" in out and out.endswith("\x1b[K") and len(out) < 30
    coloured = [(" ", blue)] * 20 + [(" ", under)] * 20
    out = render_cells(coloured, CONSOLE, to_line_end=True)
    assert "X" not in out.replace("\x1b[", "") and "\x1b[K" not in out  # coloured blanks are written


def _strip(text: str, width: int = 0, style: Style | None = None) -> Strip:
    strip = Strip([Segment(text, style)])
    return strip.adjust_cell_length(width) if width else strip


def test_partial_update_writes_only_changed_cells_and_matches_a_full_frame() -> None:
    width, height = 30, 3
    shadow = TerminalShadow()
    lines = ["姓名    欧阳娜娜", "证件号码 4301211990", "回执号 HN2025-0001"]
    frame = ShadowLayoutUpdate([[_strip(t, width)] for t in lines], Region(0, 0, width, height), shadow)
    term = VirtualTerminal(width, height)
    term.feed(frame.render_segments(CONSOLE))
    assert term.text()[0].startswith("姓名    欧阳娜娜")

    new_line = "证件号码 430121199001011234"
    chops: list[dict[int, Strip | None]] = [{0: None}, {0: _strip(new_line, width)}, {0: None}]
    update = DiffChopsUpdate(chops, [(1, 0, width)], [[width], [width], [width]], width=width, shadow=shadow)
    data = update.render_segments(CONSOLE)
    term.feed(data)
    assert data.startswith("\x1b[2;20H01011234")  # from the first changed cell: '430121199' is kept
    assert "证件" not in data
    assert term.text()[1].rstrip() == new_line
    assert term.text()[0].rstrip() == "姓名    欧阳娜娜"

    again = DiffChopsUpdate(chops, [(1, 0, width)], [[width], [width], [width]], width=width, shadow=shadow)
    assert again.render_segments(CONSOLE) == ""  # nothing changed, nothing written


def test_unknown_line_is_written_in_full() -> None:
    shadow = TerminalShadow()
    chops = [{0: _strip("abc" + " " * 7)}]
    update = DiffChopsUpdate(chops, [(0, 0, 10)], [[10]], width=10, shadow=shadow)
    term = VirtualTerminal(10, 1)
    term.feed("\x1b[1;1Hzzzzzzzzzz")
    term.feed(update.render_segments(CONSOLE))
    assert term.text()[0] == "abc       "


class Form(CompactScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("申请人", id="title")
        yield CompactInput(id="name")
        yield CompactInput(id="phone")


class FormApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Form())


async def test_typing_through_the_real_compositor_keeps_the_terminal_right() -> None:
    """Replay every update the screen's compositor writes while typing and tabbing."""
    app = FormApp()
    written: list[Any] = []
    app._display = lambda screen, renderable: written.append(renderable)  # type: ignore[method-assign]
    async with app.run_test(size=(30, 5)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        term = VirtualTerminal(30, 5)
        sizes: list[int] = []

        def replay() -> int:
            total = 0
            for renderable in written:
                if renderable is not None:
                    data = renderable.render_segments(CONSOLE)
                    total += len(data.encode())
                    term.feed(data)
            written.clear()
            return total

        full_frame: Any = screen._compositor.render_update(full=True)
        term.feed(full_frame.render_segments(CONSOLE))
        written.clear()
        for key in ["欧", "阳", "a", "tab", "1", "3", "backspace", "shift+tab", "b"]:
            await pilot.press(key)
            await pilot.pause()
            sizes.append(replay())
            expected = [strip.text for strip in screen._compositor.render_strips()]
            assert term.text() == expected, (key, term.text(), expected)
        assert shadow_for(app).lines  # the compositor learnt the screen
        assert 0 < max(sizes[:3]) < 60  # a typed character costs a few cells, not the whole line


def test_coloured_blanks_are_erased_only_where_the_terminal_erases_with_the_background() -> None:
    blue = Style(bgcolor="blue")
    cells: list[Any] = [("x", blue)] + [(" ", Style(bgcolor="blue", bold=True))] * 30
    with_bce = render_cells(cells, CONSOLE, to_line_end=False, bce=True)
    without = render_cells(cells, CONSOLE, to_line_end=False, bce=False)
    assert "\x1b[30X" in with_bce and len(with_bce) < 40
    assert "X" not in without.replace("\x1b[", "") and " " * 30 in without
    assert render_cells(cells, CONSOLE, to_line_end=True, bce=True).endswith("\x1b[K\x1b[0m")
    underlined: list[Any] = [(" ", Style(bgcolor="blue", underline=True))] * 30
    assert " " * 30 in render_cells(underlined, CONSOLE, to_line_end=False, bce=True)


def test_background_erase_follows_terminfo() -> None:
    """Each in a fresh process: curses reads terminfo once per process."""
    import subprocess
    import sys

    def bce(term: str) -> str:
        code = f"from tui.widgets.wire import background_erase; print(background_erase({term!r}))"
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()

    assert bce("xterm-256color") == "True"
    assert bce("screen") == "False"
    assert bce("no-such-terminal-anywhere") == "False"
    assert bce("") == "False"
