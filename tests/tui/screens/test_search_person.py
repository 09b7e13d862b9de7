"""Search (SSN, card number, name, pinyin initials in one input) → person page → a form
prefilled for that person; and the item registry the home screen opens screens from.
"""

from __future__ import annotations

from typing import Any

import pytest
from screenkit import AppFactory, Station, one, open_form
from textual.widgets import DataTable, Input

from offline.items import SERVICE_ITEMS
from tui.screens.forms.base import FormScreen
from tui.screens.forms.losses import TempLossScreen
from tui.screens.items import ITEM_SCREENS
from tui.screens.person import PersonScreen
from tui.screens.search import SearchScreen


def test_every_service_item_has_a_screen() -> None:
    assert set(ITEM_SCREENS) == {i.code for i in SERVICE_ITEMS}
    for code, cls in ITEM_SCREENS.items():
        if issubclass(cls, FormScreen):
            assert code == cls.ITEM
            ids = [b.id for b in cls.BINDINGS]  # type: ignore[union-attr]
            assert all(i and i.startswith(cls.FORM_ID + ".") for i in ids), ids


async def type_query(pilot: Any, screen: SearchScreen, text: str) -> None:
    screen.query_one("#search-input", Input).value = ""
    await pilot.pause()
    screen.query_one("#search-input").focus()
    await pilot.press(*text)
    await pilot.pause(0.4)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("how", ["ssn", "card", "name", "initials"])
async def test_search_finds_person_every_way(station: Station, app_factory: AppFactory, how: str) -> None:
    person, number, _ = station.issued_person(51, name="欧阳娜娜")
    station.apply(station.person(52, name="张三丰"))
    query = {"ssn": person.doc_number, "card": number, "name": "欧阳", "initials": "oy"}[how]
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, SearchScreen())
        await type_query(pilot, screen, query)
        names = [h.name for h in screen.hits]
        assert names == ["欧阳娜娜"], (how, names)


async def test_search_to_person_page_to_prefilled_form(station: Station, app_factory: AppFactory) -> None:
    person, number, _ = station.issued_person(53, name="欧阳娜娜")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, SearchScreen())
        await type_query(pilot, screen, "欧阳娜娜")
        await pilot.press("enter")  # one hit: Enter in the input opens it
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        page = pilot.app.screen
        assert isinstance(page, PersonScreen)
        info = str(page.query_one("#person-info").render())
        assert "欧阳娜娜" in info and person.doc_number in info
        cards = page.query_one("#person-cards", DataTable)
        assert cards.row_count == 1 and "已发放" in str(cards.get_row_at(0)[1])
        bus = page.query_one("#person-businesses", DataTable)
        assert bus.row_count >= 2  # the application and the issuance
        assert "待上传" in [str(bus.get_row_at(i)[3]) for i in range(bus.row_count)]
        await pilot.press("g")  # 挂失, prefilled
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, TempLossScreen) and form.values()["card_number"] == number


async def test_person_page_shows_remote_rejection(station: Station, app_factory: AppFactory) -> None:
    """R-APP-3 across stations: the card management system's rejection reaches the operator."""
    from offline.downlink import DownlinkUpdate, apply_update

    person = station.person(54, name="欧阳娜娜")
    result = station.apply(person)
    apply_update(
        station.store,
        DownlinkUpdate(
            "u-rej",
            "application_result",
            {"receipt_no": result.receipt_no, "accepted": False, "reason": "已在其他网点持有有效社会保障卡"},
        ),
        cursor="c1",
    )
    pid = one(station.store, "SELECT id FROM persons WHERE ssn = ?", (person.doc_number,))[0]
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        page = await open_form(pilot, PersonScreen(pid))
        bus = page.query_one("#person-businesses", DataTable)
        remote = " ".join(str(bus.get_row_at(i)[4]) for i in range(bus.row_count))
        assert "已在其他网点持有有效社会保障卡" in remote
        assert "已在其他网点" in str(page.query_one("#person-apps").render())


async def test_home_keys_open_business_screens(station: Station, app_factory: AppFactory) -> None:
    """The shell's F-keys and home screen open the screens of ITEM_SCREENS."""
    from tui.screens.forms.apply import ApplyScreen
    from tui.screens.forms.temp_card import TempCardScreen
    from tui.screens.stock import StockScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.logged_in(station.operator, [])
        await pilot.pause()
        for key, cls in (
            ("f2", ApplyScreen),
            ("f4", TempCardScreen),
            ("f9", StockScreen),
            ("f5", SearchScreen),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(pilot.app.screen, cls), (key, pilot.app.screen)
            pilot.app.pop_screen()
            await pilot.pause()
