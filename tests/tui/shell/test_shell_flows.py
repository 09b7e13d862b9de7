"""Palette (pinyin initials), status bar after a business, drafts restore prompt, make_ctx, modes."""

from __future__ import annotations

import asyncio
from typing import Any

from offline.business import commit_business
from offline.drafts import list_drafts, save_draft
from tests.tui.shell.conftest import FIXED_NOW, PASSWORD
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.config import Config
from tui.context import AppServices
from tui.widgets.statusbar import StatusBar


async def _home(pilot: Any, app: Any) -> None:
    await log_in(pilot, "wangxh", PASSWORD)
    await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")


async def test_palette_opens_apply_by_pinyin_initials_and_by_chinese(services: AppServices) -> None:
    app = make_app(services)
    opened: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot, app)

        def record(code: str) -> None:
            opened.append(code)

        app.action_open_item = record  # type: ignore[method-assign]
        for query in ("sl", "申领"):
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: screen_name(pilot) == "PaletteScreen")
            palette: Any = app.screen
            if query == "sl":
                await pilot.press("s", "l")
            else:
                palette.query_one("#palette-input").value = query
            await wait_for(pilot, lambda palette=palette: palette.shown and palette.shown[0].key == "apply")  # type: ignore[misc]
            await pilot.press("enter")
            await wait_for(pilot, lambda query=query: len(opened) == (1 if query == "sl" else 2))  # type: ignore[misc]
            assert screen_name(pilot) == "HomeScreen"
    assert opened == ["apply", "apply"]


async def test_palette_needs_login(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", "f2", "f8")
        await pilot.pause(0.2)
        assert screen_name(pilot) == "LoginScreen"


async def test_status_bar_shows_queue_depth_after_a_business(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot, app)
        bar = app.screen.query_one(StatusBar)
        await wait_for(pilot, lambda: "待传 0" in bar.text and "王小红" in bar.text)

        def business() -> None:
            ctx = app.make_ctx()
            with ctx.store.write() as conn:
                commit_business(ctx, conn, item="query", summary="测试业务", details={"note": "x"})

        await asyncio.to_thread(business)
        app.refresh_status()
        await wait_for(pilot, lambda: "待传 1" in bar.text)
        assert "刚刚" in bar.text  # the oldest unsent item's age (fixed clock)


async def test_make_ctx_without_card_raises_chinese_card_error(services: AppServices) -> None:
    from offline.protocols import CardError

    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot, app)
        ctx = app.make_ctx()
        assert ctx.operator.username == "wangxh" and ctx.now() == FIXED_NOW
        try:
            app.make_ctx(with_card=True)
        except CardError as exc:
            assert exc.code == "no_reader" and "读卡器" in exc.message_zh
        else:
            raise AssertionError("expected CardError")
    app2 = make_app(services_with_empty_reader(services))
    async with app2.run_test(size=(80, 24)) as pilot:
        await _home(pilot, app2)
        try:
            app2.make_ctx(with_card=True)
        except CardError as exc:
            assert exc.code == "no_card" and "插入" in exc.message_zh
        else:
            raise AssertionError("expected CardError")


def services_with_empty_reader(services: AppServices) -> AppServices:
    from dataclasses import replace

    return replace(services, card_provider=lambda: None)


async def test_drafts_offered_after_login_restore_once(services: AppServices) -> None:
    op_id = int(services.store.one("SELECT id FROM operators WHERE username='wangxh'")["id"])  # type: ignore[index]
    save_draft(services.store, op_id, "zz_form", {"name": "欧阳娜娜"}, now=FIXED_NOW)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", PASSWORD)
        await wait_for(pilot, lambda: screen_name(pilot) == "DraftPrompt")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        assert app.restore_draft("zz_form") == {"name": "欧阳娜娜"}
        assert app.restore_draft("zz_form") is None


async def test_drafts_discarded_when_declined(services: AppServices) -> None:
    op_id = int(services.store.one("SELECT id FROM operators WHERE username='wangxh'")["id"])  # type: ignore[index]
    save_draft(services.store, op_id, "apply", {"name": "欧阳娜娜"}, now=FIXED_NOW)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", PASSWORD)
        await wait_for(pilot, lambda: screen_name(pilot) == "DraftPrompt")
        await pilot.press("n")
        await wait_for(pilot, lambda: list_drafts(services.store, op_id) == [])
        assert screen_name(pilot) == "HomeScreen"


async def test_ascii_mode_uses_ascii_borders(services: AppServices) -> None:
    app = make_app(services, config=Config(ascii_borders=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        box = app.screen.query_one("#login-box")
        assert box.styles.border_top[0] == "ascii"
        assert all(ch not in app.export_screenshot() for ch in "╭╮╰╯")
    plain = make_app(services)
    async with plain.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        assert plain.screen.query_one("#login-box").styles.border_top[0] == "round"


async def test_no_color_env_is_honoured(services: AppServices, monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(services)
    assert app.no_color is True
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        svg = app.export_screenshot()
        assert "用户名" in svg
        # Monochrome: no ANSI blue fill of the status bar survives the filter.
        assert app.get_line_filters(), "NO_COLOR must install a colour filter"


async def test_keymap_from_config_remaps_sync_key(services: AppServices) -> None:
    app = make_app(services, config=Config(keys={"app.sync": "f12"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot, app)
        await pilot.press("f8")
        await pilot.pause(0.1)
        assert screen_name(pilot) == "HomeScreen"
        await pilot.press("f12")
        await wait_for(pilot, lambda: screen_name(pilot) == "SyncScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
