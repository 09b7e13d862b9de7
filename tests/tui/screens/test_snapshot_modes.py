"""Every screen at 80x24 under NO_COLOR and in ASCII mode (issue 16; colour: test_snapshots.py).

NO_COLOR: the focused field and the cursors are in reverse video (`station-mono` theme), the
focused row's label too. ASCII (`--ascii`, `TERM=linux`): no box, arrow, bullet or block glyph.
Regenerate with `--snapshot-update` and read the SVG text before committing.
"""

from __future__ import annotations

from typing import Any

import pytest
from screenkit import FIXED_NOW, Station, make_test_app

from offline.items import SERVICE_ITEMS
from tui.config import Config

SIZE = (80, 24)
MODES = {"nocolor": Config(colour="none"), "ascii": Config(ascii_borders=True)}


def _shell_screen(name: str, station: Station) -> Any:
    if name == "login":
        from tui.screens.login import LoginScreen

        return LoginScreen()
    if name == "home":
        from tui.screens.home import HomeScreen

        return HomeScreen(alerts=[])
    if name == "alerts":
        from tui.screens.alerts import AlertsScreen

        return AlertsScreen()
    if name == "sync":
        from tui.screens.sync import SyncScreen

        return SyncScreen()
    if name == "lock":
        from tui.screens.lock import LockScreen

        return LockScreen(station.operator, idle_minutes=10)
    if name == "palette":
        from tui.palette import PaletteScreen

        return PaletteScreen()
    if name == "report":
        from tui.screens.report import ReportScreen

        return ReportScreen(FIXED_NOW.date())
    if name == "delivery":
        from tui.screens.delivery import DeliveryScreen

        return DeliveryScreen()
    from tui.screens.search import SearchScreen

    return SearchScreen("欧阳")


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


SHELL = ["login", "home", "alerts", "sync", "lock", "palette", "report", "delivery", "search"]


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("name", SHELL)
def test_shell_screen_modes(snap_compare: Any, station: Station, name: str, mode: str) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.push_screen(_shell_screen(name, station))
        await _settle(pilot)

    app = make_test_app(station, config=MODES[mode])
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("code", [item.code for item in SERVICE_ITEMS])
def test_item_screen_modes(snap_compare: Any, station: Station, code: str, mode: str) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.action_open_item(code)
        await _settle(pilot)

    app = make_test_app(station, config=MODES[mode])
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
