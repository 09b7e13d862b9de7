"""Person-side items end to end through their screens: replacement/exchange, cancellation,
information changes, bank change, transfer (chip), and the read-only progress query.
"""

from __future__ import annotations

from typing import Any

from screenkit import AppFactory, Station, one, open_form, submit

from offline.store import Store
from tui.screens.forms.bank_change import BankChangeScreen
from tui.screens.forms.cancel import CancelScreen
from tui.screens.forms.info_change import InfoChangeScreen
from tui.screens.forms.key_info_change import KeyInfoChangeScreen
from tui.screens.forms.losses import FormalLossScreen
from tui.screens.forms.query import QueryScreen
from tui.screens.forms.replace import ReplaceScreen
from tui.screens.forms.transfer import TransferScreen
from tui.screens.receipt import ReceiptScreen


def status_text(screen: Any) -> str:
    return str(screen.query_one("#form-status").render())


def card_status(store: Store, number: str) -> str:
    return str(one(store, "SELECT status FROM cards WHERE card_number = ?", (number,))["status"])


async def test_R_REP_1_replacement_after_formal_loss_pays_fee(
    station: Station, app_factory: AppFactory
) -> None:
    person, number, _ = station.issued_person(31)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ReplaceScreen())
        refused = await submit(
            pilot,
            form,
            {
                "kind": "replace",
                "card_number": number,
                "doc_number": person.doc_number,
                "financial_account_closed": "1",
                "fee_receipt_no": "湘财票 0001",  # HN 9: the fee is receipted
            },
        )
        assert refused is form and "R-REP-1" in status_text(form) + str(
            form.query_one("#form-general").render()
        )
        await pilot.press("escape")  # the form is not empty: asks first
        await pilot.press("y")
        await pilot.pause()
        form = await open_form(pilot, FormalLossScreen())
        assert isinstance(
            await submit(pilot, form, {"card_number": number, "doc_number": person.doc_number}), ReceiptScreen
        )
        await pilot.press("enter")
        form = await open_form(pilot, ReplaceScreen())
        after = await submit(
            pilot,
            form,
            {
                "kind": "replace",
                "card_number": number,
                "doc_number": person.doc_number,
                "financial_account_closed": "1",
                "fee_receipt_no": "湘财票 0001",  # HN 9: the fee is receipted
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
        assert after.result.fee_fen == station.profile.fees_fen["replace"] > 0
        assert "元" in str(after.query_one("#receipt-info").render())


async def test_R_REP_2_exchange_for_damage(station: Station, app_factory: AppFactory) -> None:
    person, number, _ = station.issued_person(32)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ReplaceScreen())
        form.fill({"kind": "exchange"})
        await pilot.pause()
        assert form.query_one("#row-reason").display  # exchange reasons only for 换领
        after = await submit(
            pilot,
            form,
            {
                "card_number": number,
                "doc_number": person.doc_number,
                "reason": "damage",
                "financial_account_closed": "1",
                "fee_receipt_no": "湘财票 0001",  # HN 9: the fee is receipted
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    kinds = [r[0] for r in station.store.query("SELECT kind FROM applications ORDER BY id")]
    assert kinds[-1] == "exchange"


async def test_R_CAN_2_cancellation_needs_insurance_closed(station: Station, app_factory: AppFactory) -> None:
    person, number, _ = station.issued_person(33)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, CancelScreen())
        data = {
            "ssn": person.doc_number,
            "reason": "abroad",
            "doc_number": person.doc_number,
            "open_insurance_business": "养老保险待遇未终止",
        }
        assert await submit(pilot, form, data) is form
        assert "R-CAN-2" in status_text(form) + str(form.query_one("#form-general").render())
        assert card_status(station.store, number) == "issued"
        after = await submit(pilot, form, {**data, "insurance_closed": "1", "open_insurance_business": ""})
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert card_status(station.store, number) == "cancelled"


async def test_R_CAN_3_heir_block_only_after_death(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, CancelScreen())
        assert not form.query_one("#row-heir_name").display
        form.fill({"reason": "death"})
        await pilot.pause()
        assert form.query_one("#row-heir_name").display and not form.query_one("#row-doc_number").display


async def test_R_INFO_2_phone_change_no_new_card(station: Station, app_factory: AppFactory) -> None:
    person, _number, _ = station.issued_person(34)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, InfoChangeScreen())
        after = await submit(
            pilot, form, {"ssn": person.doc_number, "doc_number": person.doc_number, "phone": "13912345678"}
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert (
        one(station.store, "SELECT phone FROM persons WHERE ssn = ?", (person.doc_number,))[0]
        == "13912345678"
    )
    assert int(one(station.store, "SELECT COUNT(*) FROM applications")[0]) == 1  # no exchange


async def test_R_INFO_2_empty_change_refused_inline(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, InfoChangeScreen())
        assert await submit(pilot, form, {"ssn": "430121199001010012", "doc_number": "x"}) is form
        assert "R-INFO-2" in str(form.query_one("#form-general").render())


async def test_R_INFO_1_name_change_forces_exchange(station: Station, app_factory: AppFactory) -> None:
    person, _number, _ = station.issued_person(35)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, KeyInfoChangeScreen())
        after = await submit(
            pilot,
            form,
            {
                "ssn": person.doc_number,
                "doc_number": person.doc_number,
                "new_name": "欧阳娜娜",
                "police_proof": "公安更名证明 2026-017",
                "financial_account_closed": "1",
                "fee_receipt_no": "湘财票 0001",  # HN 9: the fee is receipted
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert one(station.store, "SELECT name FROM persons WHERE ssn = ?", (person.doc_number,))[0] == "欧阳娜娜"
    assert station.store.query("SELECT kind FROM applications ORDER BY id")[-1][0] == "exchange"


async def test_R_TRF_2_bank_change_application(station: Station, app_factory: AppFactory) -> None:
    person, number, _ = station.issued_person(36)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, BankChangeScreen())
        after = await submit(
            pilot,
            form,
            {
                "card_number": number,
                "doc_number": person.doc_number,
                "new_bank": station.profile.banks[3],
                "document": "nearby",
                "reason": "工作单位迁至县城",
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert one(station.store, "SELECT item FROM businesses ORDER BY id DESC")[0] == "bank_change"


async def test_R_TRF_1_transfer_rewrites_home_region_on_chip(
    station: Station, app_factory: AppFactory
) -> None:
    person, _number, chip = station.issued_person(37)
    station.reader.insert(chip)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, TransferScreen())
        after = await submit(
            pilot,
            form,
            {
                "ssn": person.doc_number,
                "doc_number": person.doc_number,
                "new_region": "430102",
                "insurance_moved": "1",
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    from devices import open_emulated_session

    assert open_emulated_session(chip).read_card().home_region == "430102"


async def test_R_TRF_1_transfer_to_other_province_refused(station: Station, app_factory: AppFactory) -> None:
    person, _number, chip = station.issued_person(38)
    station.reader.insert(chip)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, TransferScreen())
        after = await submit(
            pilot,
            form,
            {
                "ssn": person.doc_number,
                "doc_number": person.doc_number,
                "new_region": "420102",
                "insurance_moved": "1",
            },
        )
        assert after is form and status_text(form).startswith("未办理")


async def test_R_INFO_3_query_answers_in_place_writes_nothing(
    station: Station, app_factory: AppFactory
) -> None:
    person = station.person(39, name="欧阳娜娜")
    receipt = station.apply(person)
    before = int(one(station.store, "SELECT COUNT(*) FROM businesses")[0])
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, QueryScreen())
        after = await submit(pilot, form, {"receipt_no": receipt.receipt_no})
        assert after is form
        text = str(form.query_one("#form-result").render())
        assert "欧阳娜娜" in text and receipt.receipt_no in text
    assert int(one(station.store, "SELECT COUNT(*) FROM businesses")[0]) == before


async def test_R_APP_10_profile_update_stored_by_sync_applies_to_the_next_business_without_restart(
    station: Station, app_factory: AppFactory
) -> None:
    """The terminal asks for the profile before each business (AppServices.profile_loader), so a
    profile update the background sync stores applies at once; an unusable one changes nothing."""
    from offline.profiles import OVERRIDE_SETTING, profile_text
    from offline.station import load_station_profile

    app = app_factory(profile_loader=lambda: load_station_profile(station.info, station.store))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.make_ctx().profile.fees_fen["exchange"] == 2000
        with station.store.write() as conn:
            text = profile_text("hunan").replace("exchange = 2000", "exchange = 3500")
            station.store.set_setting(conn, OVERRIDE_SETTING, text)
        assert app.make_ctx().profile.fees_fen["exchange"] == 3500
        with station.store.write() as conn:
            station.store.set_setting(conn, OVERRIDE_SETTING, "exchange = ")  # not even TOML
        assert app.make_ctx().profile.fees_fen["exchange"] == 2000
