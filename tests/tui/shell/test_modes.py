"""`--ascii` / `TERM=linux` glyphs, NO_COLOR focus marks and readable checkboxes (issue 16)."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment

from tests.tui.shell.conftest import PASSWORD
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.config import Config
from tui.context import AppServices
from tui.widgets.compact import CompactCheckbox
from tui.widgets.glyphs import ASCII_TABLE, to_ascii

UNICODE_GLYPHS = "─│┌┐└┘╭╮╰╯├┤▼▲↑↓←→•·…▇▁▐▌"


def _segments(app: Any) -> list[list[Segment]]:
    return [list(strip) for strip in app.screen._compositor.render_strips()]


def _lines(app: Any) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def test_every_glyph_maps_to_one_ascii_cell() -> None:
    assert all(len(v) == 1 and v.isascii() for v in ASCII_TABLE.values())
    assert to_ascii("╭─ 提醒 ─╮ • ▼ ↑↓ …") == "+- 提醒 -+ * v ^v ."
    assert to_ascii("欧阳娜娜 R-ID-1") == "欧阳娜娜 R-ID-1"


async def test_ascii_mode_draws_no_unicode_rules_arrows_or_bullets(services: AppServices) -> None:
    app = make_app(services, config=Config(ascii_borders=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", PASSWORD)
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        await pilot.pause(0.3)
        home = "\n".join(_lines(app))
        await pilot.press("h")  # a form with dropdowns (▼) and a scrollable body
        await wait_for(pilot, lambda: screen_name(pilot) == "BankChangeScreen")
        await pilot.pause(0.2)
        form = "\n".join(_lines(app))
    assert "[1] 申领" in home and "+-" in home  # the alerts panel is drawn, with ASCII corners
    for text in (home, form):
        assert not [ch for ch in UNICODE_GLYPHS if ch in text], text
    assert " v" in form  # the dropdown arrow


async def test_colour_mode_keeps_unicode(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", PASSWORD)
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        await pilot.pause(0.3)
        assert "│" in "\n".join(_lines(app))


async def test_no_colour_marks_the_focused_field_with_reverse_video(services: AppServices) -> None:
    app = make_app(services, config=Config(colour="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        await pilot.press(*"wangxh")
        await pilot.pause(0.2)
        username_row = next(row for row in _segments(app) if "wangxh" in "".join(s.text for s in row))
        styles = [s.style for s in username_row if "wangxh" in s.text]
        assert styles and all(style is not None and style.reverse for style in styles)
        await pilot.press("tab")
        await pilot.pause(0.2)
        row = next(row for row in _segments(app) if "wangxh" in "".join(s.text for s in row))
        assert not any(s.style is not None and s.style.reverse for s in row if "wangxh" in s.text)
        # and no colour at all reaches the terminal
        assert all(
            s.style is None or (s.style.color is None or s.style.color.is_default)
            for row in _segments(app)
            for s in row
        )


async def test_checkbox_shows_ticked_and_unticked_apart() -> None:
    from textual.app import App, ComposeResult

    class Boxes(App[None]):
        def compose(self) -> ComposeResult:
            yield CompactCheckbox("已签收", True, id="yes")
            yield CompactCheckbox("本人领取", False, id="no")

    app = Boxes()
    async with app.run_test(size=(40, 4)) as pilot:
        await pilot.pause()
        assert _lines(app)[0].startswith("[X] 已签收")
        assert _lines(app)[1].startswith("[ ] 本人领取")
        app.query_one("#no", CompactCheckbox).toggle()
        await pilot.pause()
        assert _lines(app)[1].startswith("[X] 本人领取")


async def test_no_colour_reverses_the_label_of_the_focused_row(services: AppServices) -> None:
    """An empty focused input shows only its cursor; its label is in reverse video too."""
    app = make_app(services, config=Config(colour="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", PASSWORD)
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        await pilot.press("h")
        await wait_for(pilot, lambda: screen_name(pilot) == "BankChangeScreen")
        await pilot.pause(0.2)

        def reversed_labels() -> list[str]:
            return [
                s.text.strip()
                for row in _segments(app)
                for s in row
                if s.style is not None and s.style.reverse and s.text.strip()
            ]

        first = reversed_labels()
        await pilot.press("tab")
        await pilot.pause(0.2)
        second = reversed_labels()
    assert any("卡号" in text for text in first), first
    assert any("证件号码" in text for text in second) and not any("卡号" in t for t in second), second


async def test_terminal_shadow_is_forgotten_on_suspend_resume_and_real_resize(services: AppServices) -> None:
    """Only-changed-cells output is right only while the app knows the terminal's content."""
    from tui.widgets.wire import shadow_for

    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        shadow = shadow_for(app)
        shadow.resized((80, 24))
        shadow.lines = [[(" ", None)] * 80]
        shadow.resized((80, 24))  # the same size again (drivers report it at start): kept
        assert shadow.lines
        app.app_suspend_signal.publish(app)
        assert shadow.lines == []
        shadow.lines = [[(" ", None)] * 80]
        app.app_resume_signal.publish(app)
        assert shadow.lines == []
        shadow.lines = [[(" ", None)] * 80]
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert not shadow.lines or len(shadow.lines[0] or []) != 80
