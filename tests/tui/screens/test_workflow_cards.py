"""Card-side items end to end through their screens: real store, real services, and the
in-process card emulator from devices/ for chip work (issuance read-card test, PINs,
temporary cards, transfer). Each test asserts what the operator sees and what was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screenkit import AppFactory, Station, one, open_form, submit

from offline.store import Store
from tui.screens.forms.activate import ActivateScreen
from tui.screens.forms.issue import IssueScreen
from tui.screens.forms.losses import FormalLossScreen, LiftLossScreen, TempLossScreen
from tui.screens.forms.pins import PinChangeScreen, PinResetScreen, PinUnlockScreen
from tui.screens.receipt import ReceiptScreen


def card_status(store: Store, number: str) -> str:
    return str(one(store, "SELECT status FROM cards WHERE card_number = ?", (number,))["status"])


def businesses(store: Store) -> int:
    return int(one(store, "SELECT COUNT(*) FROM businesses")[0])


def status_text(screen: Any) -> str:
    return str(screen.query_one("#form-status").render())


async def test_R_ISS_3_issue_with_read_card_test(station: Station, app_factory: AppFactory) -> None:
    person = station.person(21, name="欧阳娜娜")
    station.serial += 1
    number = station.produce(station.apply(person), station.serial)
    station.receive(number)
    station.reader.insert(station.chip_for(person, station.serial))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, IssueScreen())
        await pilot.press("ctrl+k")  # 读卡检测 before committing anything
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert f"芯片卡号 {number}" in status_text(form) and "真伪校验通过" in status_text(form)
        assert form.values()["card_number"] == number
        after = await submit(
            pilot,
            form,
            {
                "holder_doc_number": person.doc_number,
                "face_photo_ok": "1",
                "face_text_ok": "1",
                "signed": "1",
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert card_status(station.store, number) == "issued"


async def test_R_ISS_3_issue_without_card_in_reader_says_so(
    station: Station, app_factory: AppFactory
) -> None:
    before = businesses(station.store)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, IssueScreen())
        after = await submit(
            pilot, form, {"card_number": "L00000009", "holder_doc_number": "X", "signed": "1"}
        )
        assert after is form
        assert status_text(form).startswith("未办理") and "卡" in status_text(form)
    assert businesses(station.store) == before


async def test_R_LOSS_1_temp_loss_then_lift(station: Station, app_factory: AppFactory) -> None:
    _, number, _ = station.issued_person(22)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, TempLossScreen())
        after = await submit(pilot, form, {"card_number": number, "verbal": "1"})
        assert isinstance(after, ReceiptScreen), status_text(form)
        assert card_status(station.store, number) == "temp_lost"
        await pilot.press("enter")  # 完成
        await pilot.pause()
        form = await open_form(pilot, LiftLossScreen())
        person = one(
            station.store,
            "SELECT p.doc_number FROM persons p JOIN cards c ON c.person_id = p.id WHERE c.card_number = ?",
            (number,),
        )
        after = await submit(pilot, form, {"card_number": number, "doc_number": person["doc_number"]})
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert card_status(station.store, number) == "issued"


async def test_R_LOSS_1_formal_loss_cannot_be_lifted(station: Station, app_factory: AppFactory) -> None:
    person, number, _ = station.issued_person(23)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, FormalLossScreen())
        after = await submit(pilot, form, {"card_number": number, "doc_number": person.doc_number})
        assert isinstance(after, ReceiptScreen), status_text(form)
        assert card_status(station.store, number) == "lost"
        await pilot.press("enter")
        form = await open_form(pilot, LiftLossScreen())
        before = businesses(station.store)
        after = await submit(pilot, form, {"card_number": number, "doc_number": person.doc_number})
        assert after is form and status_text(form).startswith("未办理")
        assert businesses(station.store) == before
    assert card_status(station.store, number) == "lost"


async def test_R_PIN_3_activate_with_chip_and_pin_never_stored(
    station: Station, app_factory: AppFactory
) -> None:
    person, number, chip = station.issued_person(24)
    station.reader.insert(chip)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ActivateScreen())
        after = await submit(
            pilot,
            form,
            {
                "doc_number": person.doc_number,
                "holder_authorised": "1",
                "new_pin": "482913",
                "new_pin_again": "482913",
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
    assert one(station.store, "SELECT social_active FROM cards WHERE card_number = ?", (number,))[0] == 1
    station.store.close()
    assert b"482913" not in station.store.path.read_bytes()  # R-PIN-6


async def test_R_PIN_3_mismatched_new_pin_shown_inline(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, PinChangeScreen())
        after = await submit(
            pilot, form, {"old_pin": "666666", "new_pin": "482913", "new_pin_again": "482914"}
        )
        assert after is form
        problems = " ".join(str(w.render()) for w in form.query(".field-problem"))
        assert "R-PIN-3" in problems


async def test_R_PIN_4_change_pin_wrong_old_pin_tells_tries_left(
    station: Station, app_factory: AppFactory
) -> None:
    _, _number, chip = station.issued_person(25)
    station.reader.insert(chip)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, PinChangeScreen())
        before = businesses(station.store)
        after = await submit(
            pilot, form, {"old_pin": "111111", "new_pin": "482913", "new_pin_again": "482913"}
        )
        assert after is form and status_text(form).startswith("未办理")
        assert "还可尝试 4 次" in str(form.query_one("#p-old_pin").render())  # shown under the old-PIN field
        assert businesses(station.store) == before
        after = await submit(
            pilot, form, {"old_pin": "666666", "new_pin": "482913", "new_pin_again": "482913"}
        )
        assert isinstance(after, ReceiptScreen), status_text(form)


async def test_R_PIN_4_reset_and_unlock(station: Station, app_factory: AppFactory) -> None:
    person, number, chip = station.issued_person(26)
    station.reader.insert(chip)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, PinResetScreen())
        after = await submit(
            pilot,
            form,
            {
                "card_number": number,
                "doc_number": person.doc_number,
                "new_pin": "482913",
                "new_pin_again": "482913",
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
        await pilot.press("enter")
        form = await open_form(pilot, PinUnlockScreen())
        after = await submit(pilot, form, {"doc_number": person.doc_number})
        assert isinstance(after, ReceiptScreen), status_text(form)
    items = [r["item"] for r in station.store.query("SELECT item FROM businesses ORDER BY id DESC LIMIT 2")]
    assert items == ["pin_unlock", "pin_reset"]


async def test_R_ISS_3_failed_face_check_says_what_was_done_and_asks_no_signature_HB_16(
    station: Station, app_factory: AppFactory
) -> None:
    """HB 16, 27: a bad card goes back; the screen says so, the slip prints, the query says re-made."""
    from offline.services.queries import card_progress

    person = station.person(22, name="欧阳娜娜")
    station.serial += 1
    number = station.produce(station.apply(person), station.serial)
    station.receive(number)
    station.reader.insert(station.chip_for(person, station.serial))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, IssueScreen())
        after = await submit(
            pilot,
            form,
            {
                "card_number": number,
                "holder_doc_number": person.doc_number,
                "face_photo_ok": "1",
                "face_text_ok": "",
                "face_note": "姓名印刷模糊",
                "signed": "",  # the card is not handed over: no signature is asked
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
        head = str(after.query_one("#receipt-head").render())
        assert "卡未发放" in head and "退回重制" in head and "未办理" not in head
        info = str(after.query_one("#receipt-info").render())
        assert "重新制作" in info  # the reminder of the return business, on screen
        await app.workers.wait_for_complete()
        await pilot.pause()
        preview = str(after.query_one("#receipt-text").render())
        assert "退回重制" in preview and "重新制作" in preview  # the slip carries it too
    assert card_status(station.store, number) == "returned"
    report = card_progress(station.ctx(), ssn=person.doc_number)
    text = "\n".join(report.lines)
    assert "重新制作" in text and "请持本人有效身份证件和领卡回执" not in text


async def test_R_ISS_5_lost_temporary_card_fee_and_receipt_number_on_the_issuance_screen(
    station: Station, app_factory: AppFactory
) -> None:
    """发放 to a holder whose temporary card was lost: the fee fields appear only for that
    settlement, the 行政事业性收费票据 number is asked like in 临时卡 (R-TMP-4, R-APP-10), and the
    business, the result screen, the printed receipt/form and the PDF carry it."""
    from devices import open_emulated_session
    from devices.emulator.card import EmulatedCard
    from devices.emulator.factory import card_number_for, make_kind
    from offline.printing.pdf import render_receipt_pdf
    from offline.printing.text import render_receipt_text
    from offline.services.temp_cards import TempIssueInput, issue_temp_card, take_out
    from tests.offline.printing.pdftext import extract_text

    person = station.person(27, name="欧阳娜娜")
    applied = station.apply(person)
    temp_chip, temp_number = EmulatedCard(make_kind("temp-blank", serial=9301)), card_number_for(9301)
    station.temp_stock([temp_number])
    take_out(station.ctx(), [temp_number])
    person_id = int(one(station.store, "SELECT id FROM persons WHERE ssn = ?", (person.doc_number,))[0])
    issue_temp_card(  # R-TMP-1: the formal card is not made yet
        station.ctx(card=open_emulated_session(temp_chip)),
        TempIssueInput(temp_number, person_id, person.doc_number, "passed", True),
    )
    station.serial += 1
    number = station.produce(applied, station.serial)
    station.receive(number)
    station.reader.insert(station.chip_for(person, station.serial))
    before = businesses(station.store)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, IssueScreen())
        assert not form.query_one("#row-fee_receipt_no").display  # no settlement, no fee fields
        form.fill({"temp_card_action": "lost"})
        await pilot.pause()
        assert form.query_one("#row-fee_paid").display and form.query_one("#row-fee_receipt_no").display
        typed = {
            "card_number": number,
            "holder_doc_number": person.doc_number,
            "face_photo_ok": "1",
            "face_text_ok": "1",
            "signed": "1",
            "temp_card_action": "lost",
            "fee_paid": "1",
        }
        after = await submit(pilot, form, typed)  # fee collected, receipt number forgotten
        assert after is form
        problems = " ".join(str(w.render()) for w in form.query(".field-problem")) + status_text(form)
        assert "须登记行政事业性收费票据号码" in problems
        assert businesses(station.store) == before  # nothing written
        after = await submit(pilot, form, {**typed, "fee_receipt_no": "湘财票 0077"})
        assert isinstance(after, ReceiptScreen), status_text(form)
        assert "收费票据号 湘财票 0077" in str(after.query_one("#receipt-info").render())
        result = after.result
    assert result.fee_fen == 2000 and result.details["fee_receipt_no"] == "湘财票 0077"
    assert card_status(station.store, number) == "issued"
    state = one(station.store, "SELECT state FROM temp_cards WHERE card_number = ?", (temp_number,))[0]
    assert state == "cancelled"
    both = render_receipt_text(result, station.info, store=station.store, kind="both")
    assert both.count("收费票据号：湘财票 0077") == 2  # the form and the receipt
    pdf = extract_text(render_receipt_pdf(result, station.info, store=station.store))
    assert "湘财票 0077" in pdf and "20.00 元" in pdf


async def test_R_ISS_4_HB_13_recipient_signs_on_the_pad_and_the_issuance_keeps_it(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    """Every form with a 签字 box reads the pad (not only 申领): the 领卡 signature of 发放."""
    from offline.printing.pdf import render_receipt_pdf
    from tests.offline.test_signatures import signature_png
    from tui.config import Config

    pad = tmp_path / "pad"
    pad.mkdir()
    person = station.person(28, name="欧阳娜娜")
    station.serial += 1
    number = station.produce(station.apply(person), station.serial)
    station.receive(number)
    station.reader.insert(station.chip_for(person, station.serial))
    app = app_factory(config=Config(signature_dir=str(pad)))
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, IssueScreen())
        assert form.check_action("read_signature", ()) is True
        image = signature_png(300, 90)
        (pad / "collect.png").write_bytes(image)
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "已读取签名：collect.png" in status_text(form) and form.values()["signed"] == "1"
        after = await submit(
            pilot,
            form,
            {
                "card_number": number,
                "holder_doc_number": person.doc_number,
                "face_photo_ok": "1",
                "face_text_ok": "1",
            },
        )
        assert isinstance(after, ReceiptScreen), status_text(form)
        result = after.result
    row = one(station.store, "SELECT image, business_id FROM signatures")
    assert bytes(row["image"]) == image and row["business_id"] == result.business_id
    assert result.details["signature_image"] is True and card_status(station.store, number) == "issued"
    signed = render_receipt_pdf(result, station.info, store=station.store).count(b"/Subtype /Image")
    with station.store.write() as conn:
        conn.execute("DELETE FROM signatures")
    assert (
        signed == render_receipt_pdf(result, station.info, store=station.store).count(b"/Subtype /Image") + 1
    )
