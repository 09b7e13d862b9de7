"""Cards in hand (R-HLD-1..3) through the real screens: a formal card the station never knew is
put in the reader; the PIN change / activation / transfer goes ahead on a holder record made from
the chip and marked 待卡管核实; blank and temporary cards are refused; the verdict the card
management system sends on the downlink confirms, corrects or refuses it."""

from __future__ import annotations

from typing import Any

from screenkit import AppFactory, Station, one, open_form, submit

from offline.downlink import DownlinkUpdate, apply_update
from offline.store import Store
from tui.screens.forms.activate import ActivateScreen
from tui.screens.forms.pins import PinChangeScreen
from tui.screens.forms.transfer import TransferScreen
from tui.screens.receipt import ReceiptScreen


def status_text(screen: Any) -> str:
    return str(screen.query_one("#form-status").render())


def count(store: Store, sql: str, params: Any = ()) -> int:
    return int(one(store, sql, params)[0])


async def test_R_HLD_1_unknown_card_pin_change_goes_ahead(station: Station, app_factory: AppFactory) -> None:
    person = station.person(41, name="覃国华")  # never applied here: the station does not know them
    chip = station.chip_for(person, 4101)
    station.reader.insert(chip)
    assert count(station.store, "SELECT COUNT(*) FROM persons WHERE ssn = ?", (person.doc_number,)) == 0
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, PinChangeScreen())
        after = await submit(
            pilot, form, {"old_pin": "666666", "new_pin": "482913", "new_pin_again": "482913"}
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    row = one(
        station.store,
        "SELECT p.name, c.card_number, c.status, h.state FROM card_in_hand h JOIN persons p ON p.id = h.person_id"
        " JOIN cards c ON c.id = h.card_id",
    )
    assert (row["name"], row["status"], row["state"]) == ("覃国华", "issued", "pending")
    number = row["card_number"]
    items = [r[0] for r in station.store.query("SELECT item FROM businesses ORDER BY id")]
    assert items[-2:] == ["card_in_hand", "pin_change"]
    # the person page says the record waits for the card management system (R-HLD-2)
    from offline.services.queries import person_page

    pid = count(station.store, "SELECT id FROM persons WHERE ssn = ?", (person.doc_number,))
    page = person_page(station.store, pid)
    assert page.cards[0].card_number == number and "待卡管核实" in page.cards[0].status_label


async def test_R_HLD_1_same_card_twice_adopted_once(station: Station, app_factory: AppFactory) -> None:
    person = station.person(42)
    station.reader.insert(station.chip_for(person, 4201))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ActivateScreen())
        data = {
            "doc_number": person.doc_number,
            "holder_authorised": "1",
            "new_pin": "482913",
            "new_pin_again": "482913",
        }
        after = await submit(pilot, form, data)
        assert isinstance(after, ReceiptScreen), status_text(form)
        app.pop_screen()
        form = await open_form(pilot, PinChangeScreen())
        after = await submit(
            pilot, form, {"old_pin": "482913", "new_pin": "730516", "new_pin_again": "730516"}
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert count(station.store, "SELECT COUNT(*) FROM card_in_hand") == 1
    assert count(station.store, "SELECT COUNT(*) FROM businesses WHERE item = 'card_in_hand'") == 1


async def test_R_HLD_1_transfer_by_ssn_with_card_in_hand(station: Station, app_factory: AppFactory) -> None:
    person = station.person(43)
    station.reader.insert(station.chip_for(person, 4301))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, TransferScreen())
        after = await submit(
            pilot,
            form,
            {
                "ssn": person.doc_number,
                "doc_number": person.doc_number,
                "new_region": "430181",
                "insurance_moved": "1",
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert count(station.store, "SELECT COUNT(*) FROM card_in_hand WHERE state = 'pending'") == 1


async def test_R_HLD_1_blank_card_is_refused_nothing_written(
    station: Station, app_factory: AppFactory
) -> None:
    from devices.emulator.card import EmulatedCard
    from devices.emulator.factory import make_kind

    station.reader.insert(EmulatedCard(make_kind("temp-blank", serial=77)))
    before = count(station.store, "SELECT COUNT(*) FROM businesses")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, PinChangeScreen())
        after = await submit(
            pilot, form, {"old_pin": "666666", "new_pin": "482913", "new_pin_again": "482913"}
        )
        assert after is form
        assert status_text(form).startswith("未办理") and "空白卡" in status_text(form), status_text(form)
    assert count(station.store, "SELECT COUNT(*) FROM businesses") == before
    assert count(station.store, "SELECT COUNT(*) FROM card_in_hand") == 0


async def test_R_HLD_3_downlink_corrects_then_refuses(station: Station, app_factory: AppFactory) -> None:
    """The verdicts as the sync applies them; the person page shows each (Pilot)."""
    from tui.screens.person import PersonScreen

    a, b = station.person(44, name="彭小军"), station.person(45)
    for n, p in ((4401, a), (4501, b)):
        station.reader.insert(station.chip_for(p, n))
        app = app_factory()
        async with app.run_test(size=(80, 24)) as pilot:
            form = await open_form(pilot, PinChangeScreen())
            after = await submit(
                pilot, form, {"old_pin": "666666", "new_pin": "482913", "new_pin_again": "482913"}
            )
            assert isinstance(after, ReceiptScreen), status_text(form)
    rows = station.store.query("SELECT card_number, person_id FROM card_in_hand ORDER BY card_id")
    (num_a, pid_a), (num_b, pid_b) = ((r[0], r[1]) for r in rows)
    corrected = DownlinkUpdate(
        "v-1",
        "card_holder_verdict",
        {
            "card_number": num_a,
            "verdict": "corrected",
            "reason": "此卡在卡管系统中为“已注销”",
            "person": {"name": "彭晓军"},
            "card": {"status": "cancelled", "bank": "中国建设银行"},
        },
    )
    refused = DownlinkUpdate(
        "v-2",
        "card_holder_verdict",
        {"card_number": num_b, "verdict": "refused", "reason": "卡管系统中没有此卡号"},
    )
    for u in (corrected, refused):
        apply_update(station.store, u, cursor=u.update_id)
    card_a = one(station.store, "SELECT status, bank FROM cards WHERE card_number = ?", (num_a,))
    assert (card_a["status"], card_a["bank"]) == ("cancelled", "中国建设银行")
    assert one(station.store, "SELECT name FROM persons WHERE id = ?", (pid_a,))[0] == "彭晓军"
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_form(pilot, PersonScreen(pid_b))
        await app.workers.wait_for_complete()
        await pilot.pause()
        cards: Any = app.screen.query_one("#person-cards")
        assert "卡管不认可" in " ".join(cards.get_row_at(0)), cards.get_row_at(0)
    from offline.services.alerts import alerts

    kinds = {a.kind: a for a in alerts(station.store, station.profile, today=station.now().date())}
    assert kinds["card_in_hand_refused"].count == 1 and "R-HLD-3" in kinds["card_in_hand_refused"].message_zh


async def test_R_HLD_1_info_change_with_card_in_reader(station: Station, app_factory: AppFactory) -> None:
    from tui.screens.forms.info_change import InfoChangeScreen

    person = station.person(46)
    station.reader.insert(station.chip_for(person, 4601))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, InfoChangeScreen())
        data = {"ssn": person.doc_number, "doc_number": person.doc_number, "phone": "13807310001"}
        after = await submit(pilot, form, data)
        assert after is form and "本站没有" in status_text(form)  # without the flag: not read, refused
        after = await submit(pilot, form, {**data, "card_in_reader": "1"})
        assert isinstance(after, ReceiptScreen), status_text(form)
    row = one(station.store, "SELECT phone FROM persons WHERE ssn = ?", (person.doc_number,))
    assert row["phone"] == "13807310001"
    assert count(station.store, "SELECT COUNT(*) FROM card_in_hand WHERE state = 'pending'") == 1


async def test_R_HLD_2_known_holder_new_card_is_linked_to_the_same_person(
    station: Station, app_factory: AppFactory
) -> None:
    """A holder the station knows brings a card it does not (replaced at the bank): linked, not duplicated."""
    person, old_number, _chip = station.issued_person(47)
    persons = count(station.store, "SELECT COUNT(*) FROM persons")
    station.reader.insert(station.chip_for(person, 4701))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, PinChangeScreen())
        after = await submit(
            pilot, form, {"old_pin": "666666", "new_pin": "482913", "new_pin_again": "482913"}
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert count(station.store, "SELECT COUNT(*) FROM persons") == persons
    row = one(station.store, "SELECT card_number, new_person, person_id FROM card_in_hand")
    assert row["card_number"] != old_number and row["new_person"] == 0
    owner = one(station.store, "SELECT person_id FROM cards WHERE card_number = ?", (old_number,))
    assert owner["person_id"] == row["person_id"]
