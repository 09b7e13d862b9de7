"""The field-work screens are reachable by key and from the palette (issue: door to door and from the county)."""

from __future__ import annotations

from tests.tui.shell.conftest import PASSWORD
from tests.tui.shell.helpers import log_in, screen_name, wait_for
from tui.app import make_app
from tui.context import AppServices
from tui.palette import match_commands


def test_palette_finds_delivery_and_report_by_initials() -> None:
    assert match_commands("smff")[0].name == "上门发放"
    assert match_commands("rbb")[0].name == "日报表"


async def test_f12_opens_delivery_runs_and_ctrl_r_the_daily_report(services: AppServices) -> None:
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "wangxh", PASSWORD)
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        await pilot.press("f12")
        await wait_for(pilot, lambda: screen_name(pilot) == "DeliveryScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(pilot) == "HomeScreen")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen_name(pilot) == "ReportScreen")
