"""80x24 snapshots of the shell's screens (deterministic: fixed clock, fixed data)."""

from __future__ import annotations

from typing import Any

from tests.tui.shell.conftest import PASSWORD
from tests.tui.shell.helpers import screen_name, wait_for
from tui.app import make_app
from tui.config import Config
from tui.context import AppServices

SIZE = (80, 24)


def _login(target: str = "HomeScreen") -> Any:
    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
        await pilot.press(*"wangxh", "enter", *PASSWORD, "enter")
        await wait_for(pilot, lambda: screen_name(pilot) == target)
        await wait_for(pilot, lambda: "王小红" in pilot.app.status_snapshot.operator)
        await pilot.pause(0.3)

    return run_before


def _then(first: Any, *keys: str, target: str, settle: float = 0.3) -> Any:
    async def run_before(pilot: Any) -> None:
        await first(pilot)
        await pilot.press(*keys)
        await wait_for(pilot, lambda: screen_name(pilot) == target)
        await pilot.pause(settle)

    return run_before


async def _login_screen(pilot: Any) -> None:
    await wait_for(pilot, lambda: screen_name(pilot) == "LoginScreen")
    await pilot.pause(0.2)


def test_snapshot_login(snap_compare: Any, services: AppServices) -> None:
    assert snap_compare(make_app(services), terminal_size=SIZE, run_before=_login_screen)


def test_snapshot_login_demo_shows_accounts(snap_compare: Any, demo_services: AppServices) -> None:
    assert snap_compare(make_app(demo_services), terminal_size=SIZE, run_before=_login_screen)


def test_snapshot_login_ascii(snap_compare: Any, services: AppServices) -> None:
    app = make_app(services, config=Config(ascii_borders=True))
    assert snap_compare(app, terminal_size=SIZE, run_before=_login_screen)


def test_snapshot_home(snap_compare: Any, services: AppServices) -> None:
    async def run_before(pilot: Any) -> None:
        await _login()(pilot)
        await wait_for(
            pilot, lambda: "统计" not in str(pilot.app.screen.query_one("#home-alerts-body").render())
        )

    assert snap_compare(make_app(services), terminal_size=SIZE, run_before=run_before)


def test_snapshot_alerts(snap_compare: Any, services: AppServices) -> None:
    assert snap_compare(
        make_app(services),
        terminal_size=SIZE,
        run_before=_then(_login(), "f10", target="AlertsScreen", settle=0.6),
    )


def test_snapshot_lock(snap_compare: Any, services: AppServices) -> None:
    assert snap_compare(
        make_app(services), terminal_size=SIZE, run_before=_then(_login(), "ctrl+l", target="LockScreen")
    )


def test_snapshot_sync(snap_compare: Any, services: AppServices) -> None:
    assert snap_compare(
        make_app(services),
        terminal_size=SIZE,
        run_before=_then(_login(), "f8", target="SyncScreen", settle=0.6),
    )


def test_snapshot_sessions(snap_compare: Any, services: AppServices) -> None:
    assert snap_compare(
        make_app(services),
        terminal_size=SIZE,
        run_before=_then(_login(), "f11", target="SessionsScreen", settle=0.6),
    )


def test_snapshot_palette_open(snap_compare: Any, services: AppServices) -> None:
    async def run_before(pilot: Any) -> None:
        await _then(_login(), "ctrl+p", target="PaletteScreen")(pilot)
        await pilot.press("s", "l")
        await pilot.pause(0.3)

    assert snap_compare(make_app(services), terminal_size=SIZE, run_before=run_before)
