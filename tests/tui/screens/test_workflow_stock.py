"""Temporary cards (R-TMP-1..5) and produced-card stock (R-ISS-1, R-ISS-2, R-ISS-6) through
their screens, with the in-process emulator for personalising and erasing temporary cards.
"""

from __future__ import annotations

from typing import Any

from screenkit import AppFactory, Station, one, open_form, submit

from tui.screens.forms.stock import ContactScreen
from tui.screens.forms.temp_card import TempCardScreen, TempMoveScreen
from tui.screens.receipt import ReceiptScreen
from tui.screens.stock import StockScreen
from tui.screens.temp_stock import TempStockScreen


def status_text(screen: Any) -> str:
    return str(screen.query_one("#form-status").render())


def blank_temp_card(serial: int) -> tuple[Any, str]:
    from devices.emulator.card import EmulatedCard
    from devices.emulator.factory import card_number_for, make_kind

    return EmulatedCard(make_kind("temp-blank", serial=serial)), card_number_for(serial)


async def test_R_TMP_2_issue_then_R_TMP_3_recycle_temp_card(
    station: Station, app_factory: AppFactory
) -> None:
    person = station.person(41, name="欧阳娜娜")
    station.apply(person)  # applied, formal card not made yet: eligible (R-TMP-1)
    chip, number = blank_temp_card(9001)
    station.temp_stock([number])
    from offline.services.temp_cards import take_out

    take_out(station.ctx(), [number])
    station.reader.insert(chip)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, TempCardScreen())
        after = await submit(
            pilot,
            form,
            {
                "action": "issue",
                "ssn": person.doc_number,
                "doc_number": person.doc_number,
                "signed": "1",  # never ticked by default: the operator confirms the signature
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
        # no link in this test: 联网核查 is recorded as pending, not chosen by the operator (R-TMP-2)
        assert after.result.details["online_check_pending"] is True
        from devices import open_emulated_session

        holder = open_emulated_session(chip).read_card().holder
        assert holder is not None and holder.name == "欧阳娜娜"
        await pilot.press("enter")
        form = await open_form(pilot, TempCardScreen())
        after = await submit(pilot, form, {"action": "recycle", "body_ok": "1", "signed": "1"})
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert open_emulated_session(chip).read_card().holder is None
    state = one(station.store, "SELECT state FROM temp_cards WHERE card_number = ?", (number,))[0]
    assert state in ("recycled", "in_stock")


async def test_R_TMP_4_lost_temp_card_needs_number_and_pays_fee(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, TempCardScreen())
        form.fill({"action": "lost"})
        await pilot.pause()
        assert form.query_one("#row-fee_paid").display and not form.query_one("#row-ssn").display
        after = await submit(
            pilot, form, {"doc_number": "430121199001010012", "fee_paid": "1", "fee_receipt_no": "湘财票 9"}
        )
        assert after is form
        assert "R-TMP-4" in " ".join(str(w.render()) for w in form.query(".field-problem"))


async def test_R_TMP_5_stock_moves_and_counts(station: Station, app_factory: AppFactory) -> None:
    numbers = [blank_temp_card(9100 + i)[1] for i in range(3)]
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        for move in ("sign_in", "distribute", "put_in_stock"):
            form = await open_form(pilot, TempMoveScreen())
            after = await submit(pilot, form, {"move": move, "card_numbers": " ".join(numbers)})
            assert isinstance(after, ReceiptScreen), status_text(form)
            await pilot.press("enter")
        screen = await open_form(pilot, TempStockScreen())
        counts = str(screen.query_one("#temp-counts").render())
        assert "在库 3" in counts
        assert "不足" in str(screen.query_one("#temp-low").render())  # 3 < temp_stock_low (10)


async def test_R_ISS_1_receive_from_stock_screen_then_R_ISS_2_contact(
    station: Station, app_factory: AppFactory
) -> None:
    person = station.person(42, name="欧阳娜娜")
    station.serial += 1
    number = station.produce(station.apply(person), station.serial)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        stock = await open_form(pilot, StockScreen())
        await pilot.press("i")  # 入库
        await pilot.pause()
        form = pilot.app.screen
        after = await submit(pilot, form, {"card_numbers": number, "stock_slot": "A-01"})
        assert isinstance(after, ReceiptScreen), status_text(form)
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.screen is stock and stock.cards and stock.cards[0].card_number == number
        await pilot.press("c")  # 登记联系, prefilled with the selected card
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, ContactScreen) and form.values()["card_number"] == number
        after = await submit(pilot, form, {"how": next(iter(_contact_ways()))})
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert one(station.store, "SELECT contacted_at FROM cards WHERE card_number = ?", (number,))[0]


def _contact_ways() -> dict[str, str]:
    from offline.services.stock import CONTACT_WAYS

    return CONTACT_WAYS


async def test_temp_stock_reachable_from_temp_card_form_and_stock(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, TempCardScreen())
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(pilot.app.screen, TempStockScreen)
        await pilot.press("escape")
        await open_form(pilot, StockScreen())
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(pilot.app.screen, TempStockScreen)


async def test_R_TMP_2_online_check_is_asked_not_chosen(station: Station, app_factory: AppFactory) -> None:
    """The form asks the card management system (AppServices.online_check); a refusal writes nothing."""
    person = station.person(42, name="欧阳娜娜")
    station.apply(person)
    chip, number = blank_temp_card(9002)
    station.temp_stock([number])
    from offline.services.temp_cards import take_out

    take_out(station.ctx(), [number])
    station.reader.insert(chip)
    asked: list[str] = []

    def check(ssn: str) -> tuple[str, str]:
        asked.append(ssn)
        return "failed", "卡管系统中此人的申领已被退回或注销"

    before = one(station.store, "SELECT COUNT(*) FROM businesses")[0]
    app = app_factory(online_check=check)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, TempCardScreen())
        assert not form.query("#row-online_check")  # no dropdown for the operator to fill in
        after = await submit(
            pilot,
            form,
            {"action": "issue", "ssn": person.doc_number, "doc_number": person.doc_number, "signed": "1"},
        )
        assert after is form and "联网核查未通过" in status_text(form)
    assert asked == [person.doc_number]
    assert one(station.store, "SELECT COUNT(*) FROM businesses")[0] == before
