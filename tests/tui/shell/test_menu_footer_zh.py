"""Menu keys in both cases (manual: A–I) and a footer without Textual's English (issue 16)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from textual.widgets import Select

from tests.tui.shell.conftest import PASSWORD
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.context import AppServices
from tui.widgets.builtin_zh import BINDING_ZH
from tui.widgets.footer import StationFooter


async def _home(pilot: Any) -> None:
    await log_in(pilot, "wangxh", PASSWORD)
    await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")


@pytest.mark.parametrize(("key", "code"), [("h", "bank_change"), ("H", "bank_change"), ("A", "pin_unlock")])
async def test_menu_letter_keys_open_items_in_either_case(services: AppServices, key: str, code: str) -> None:
    app = make_app(services)
    opened: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot)

        def record(code: str) -> None:
            opened.append(code)

        app.action_open_item = record  # type: ignore[method-assign]
        await pilot.press(key)
        await pilot.pause()
    assert opened == [code]


async def test_menu_shows_letters_as_the_manual_writes_them(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot)
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
    assert any("[A] 密码解锁" in line for line in lines)
    assert not any("[a]" in line for line in lines)


async def test_open_dropdown_footer_is_chinese(services: AppServices) -> None:
    """`Esc Dismiss menu` was Textual's SelectOverlay binding; the footer shows 关闭列表."""
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot)
        await pilot.press("h")
        await wait_for(pilot, lambda: screen_name(pilot) == "BankChangeScreen")
        select = app.screen.query_one("#f-new_bank", Select)
        select.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: select.expanded)
        await pilot.pause()
        footer = app.screen.query_one(StationFooter)
        footer.refresh_keys()
        assert "Esc 关闭列表" in footer.text
        assert "Dismiss" not in footer.text
        assert not any(ch.isascii() and ch.isalpha() for _, d in footer.footer_parts() for ch in d)


def _textual_classes_in_use() -> list[type]:
    from textual.app import App
    from textual.containers import ScrollableContainer, VerticalScroll
    from textual.screen import ModalScreen, Screen
    from textual.widgets import Button, Checkbox, DataTable, Input, Label, OptionList, Select, Static
    from textual.widgets._select import SelectCurrent, SelectOverlay

    return [
        App, Screen, ModalScreen, ScrollableContainer, VerticalScroll, Button, Checkbox, DataTable,
        Input, Label, OptionList, Select, SelectCurrent, SelectOverlay, Static,
    ]  # fmt: skip


def test_every_textual_binding_description_in_use_has_chinese() -> None:
    missing = set()
    for cls in _textual_classes_in_use():
        for klass in inspect.getmro(cls):
            for binding in klass.__dict__.get("BINDINGS", []):
                description = getattr(binding, "description", None)
                if description is None and isinstance(binding, tuple) and len(binding) > 2:
                    description = binding[2]
                if description and description not in BINDING_ZH:
                    missing.add(f"{klass.__name__}: {description}")
    assert not missing, sorted(missing)
