"""80x24 snapshots of every business screen, on seeded deterministic data and a fixed clock.

Regenerate with `pytest tests/tui/screens/test_snapshots.py --snapshot-update` and read the SVG
text before committing (what the operator sees is the point).
"""

from __future__ import annotations

from typing import Any

import pytest
from screenkit import Station, make_test_app, one

from tui.screens.forms.stock import AgeScreen, ContactScreen, ReceiveScreen
from tui.screens.forms.temp_card import TempMoveScreen
from tui.screens.items import ITEM_SCREENS

SIZE = (80, 24)


def pushing(screen_factory: Any, *, after: Any = None) -> Any:
    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.push_screen(screen_factory())
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        if after is not None:
            await after(pilot)
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("code", sorted(ITEM_SCREENS))
def test_item_screen(snap_compare: Any, station: Station, code: str) -> None:
    app = make_test_app(station)
    assert snap_compare(app, terminal_size=SIZE, run_before=pushing(ITEM_SCREENS[code]))


@pytest.mark.parametrize(
    "screen",
    [ReceiveScreen, ContactScreen, AgeScreen, TempMoveScreen],
    ids=["stock.ReceiveScreen", "stock.ContactScreen", "stock.AgeScreen", "temp_card.TempMoveScreen"],
)
def test_stock_form(snap_compare: Any, station: Station, screen: type[Any]) -> None:
    app = make_test_app(station)
    assert snap_compare(app, terminal_size=SIZE, run_before=pushing(screen))


def test_apply_refused_shows_problems_under_fields(snap_compare: Any, station: Station) -> None:
    from tui.screens.forms.apply import ApplyScreen

    async def after(pilot: Any) -> None:
        pilot.app.screen.fill({"name": "欧阳娜娜", "doc_number": "430121199001011235", "phone": "123"})
        await pilot.pause()
        await pilot.press("ctrl+s")

    app = make_test_app(station)
    assert snap_compare(app, terminal_size=SIZE, run_before=pushing(ApplyScreen, after=after))


def test_search_with_results(snap_compare: Any, station: Station) -> None:
    from tui.screens.search import SearchScreen

    station.issued_person(81, name="欧阳娜娜")
    station.apply(station.person(82, name="欧阳修"))
    app = make_test_app(station)
    assert snap_compare(app, terminal_size=SIZE, run_before=pushing(lambda: SearchScreen("欧阳")))


def test_person_page(snap_compare: Any, station: Station) -> None:
    from tui.screens.person import PersonScreen

    person, _, _ = station.issued_person(83, name="欧阳娜娜")
    pid = one(station.store, "SELECT id FROM persons WHERE ssn = ?", (person.doc_number,))[0]
    app = make_test_app(station)
    assert snap_compare(app, terminal_size=SIZE, run_before=pushing(lambda: PersonScreen(pid)))


def test_stock_screen(snap_compare: Any, station: Station) -> None:
    from tui.screens.stock import StockScreen

    for seed, name in ((84, "欧阳娜娜"), (85, "李四")):
        station.serial += 1
        station.receive(station.produce(station.apply(station.person(seed, name=name)), station.serial))
    app = make_test_app(station)
    assert snap_compare(app, terminal_size=SIZE, run_before=pushing(StockScreen))


def test_temp_stock_screen(snap_compare: Any, station: Station) -> None:
    from devices.emulator.factory import card_number_for
    from tui.screens.temp_stock import TempStockScreen

    station.temp_stock([card_number_for(9201), card_number_for(9202)])
    app = make_test_app(station)
    assert snap_compare(app, terminal_size=SIZE, run_before=pushing(TempStockScreen))


def test_receipt_screen(snap_compare: Any, station: Station) -> None:
    from tui.screens.receipt import ReceiptScreen

    result = station.apply(station.person(86, name="欧阳娜娜"))
    app = make_test_app(station)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=pushing(lambda: ReceiptScreen(result, title="申领社会保障卡"))
    )
