"""Wide (Chinese) characters survive overlays: the `上海浦东发展  行` bug (issue 16).

The cause was Textual's compositor dividing an overlay's line at the edges of the widgets
underneath it; `tui.widgets.compositor.CellSafeCompositor` divides only where the owner of a
piece changes. These tests open a dropdown over a column of buttons whose right edges fall at
every column, so one of them cuts each option if the bug comes back.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen

from tui.widgets.compact import CompactButton, CompactScreen, CompactSelect, FieldRow

OPTIONS = [("中国工商银行", "icbc"), ("上海浦东发展银行", "spdb"), ("临时卡损坏（缴费销卡）", "damaged")]


def _screen(base: type[Screen[None]]) -> type[Screen[None]]:
    class Form(base):  # type: ignore[misc,valid-type]
        def compose(self) -> ComposeResult:
            yield FieldRow("开户银行", CompactSelect(OPTIONS, id="bank"))
            for width in range(1, 12):  # edges at columns 16..26, under the open option list
                yield FieldRow("", CompactButton("x" * width))

    return Form


class FormApp(App[None]):
    def __init__(self, base: type[Screen[None]]) -> None:
        super().__init__(ansi_color=True)
        self._base = base

    def on_mount(self) -> None:
        self.push_screen(_screen(self._base)())


async def _open_dropdown(app: App[None]) -> list[str]:
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        app.screen.query_one("#bank").focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.asyncio
async def test_option_text_keeps_every_wide_character() -> None:
    text = "\n".join(await _open_dropdown(FormApp(CompactScreen)))
    for label, _ in OPTIONS:
        assert label in text


@pytest.mark.asyncio
async def test_stock_screen_still_drops_characters() -> None:
    """Proof the test can fail: Textual's own compositor loses a character here."""
    text = "\n".join(await _open_dropdown(FormApp(Screen)))
    assert not all(label in text for label, _ in OPTIONS)


def test_snapshot_dropdown_over_form(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.screen.query_one("#bank").focus()
        await pilot.press("enter")
        await pilot.pause(0.2)

    assert snap_compare(FormApp(CompactScreen), terminal_size=(40, 10), run_before=run_before)
