"""Item 1 申领 end to end through the screen: real store, real services, real sealer.

R-APP-8 (receipt with the acceptance number), R-APP-3 (one person one card shown inline,
nothing written), R-ID-3 inline validation on blur, R-ID-5 guardian block shown for a minor.
"""

from __future__ import annotations

from pathlib import Path

from screenkit import AppFactory, Station, one, open_form, person_form, submit

from offline.store import Store
from tui.screens.forms.apply import ApplyScreen
from tui.screens.receipt import ReceiptScreen


def count(store: Store, table: str) -> int:
    return int(one(store, f"SELECT COUNT(*) FROM {table}")[0])


async def test_R_APP_8_apply_commits_and_shows_receipt(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    person = station.person(11, name="欧阳娜娜")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        after = await submit(pilot, form, person_form(person, tmp_path))
        assert isinstance(after, ReceiptScreen), form.query_one("#form-status").render()
        receipt_no = after.result.receipt_no
        head = str(after.query_one("#receipt-head").render())
        assert f"已办理，受理编号 {receipt_no}" in head
    row = one(
        station.store, "SELECT a.status, p.name FROM applications a JOIN persons p ON p.id = a.person_id"
    )
    assert (row["status"], row["name"]) == ("accepted", "欧阳娜娜")
    assert one(station.store, "SELECT receipt_no FROM businesses")["receipt_no"] == receipt_no
    assert count(station.store, "outbox") >= 2  # photo blob + business envelope


async def test_R_APP_3_second_application_refused_inline_nothing_written(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    person = station.person(12)
    station.apply(person)
    before = count(station.store, "businesses"), count(station.store, "outbox"), count(station.store, "audit")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        after = await submit(pilot, form, person_form(person, tmp_path))
        assert after is form
        status = str(form.query_one("#form-status").render())
        assert status.startswith("未办理")
        shown = " ".join(str(w.render()) for w in form.query(".field-problem")) + str(
            form.query_one("#form-general").render()
        )
        assert "R-APP-3" in shown
    assert (
        count(station.store, "businesses"),
        count(station.store, "outbox"),
        count(station.store, "audit"),
    ) == before


async def test_R_ID_3_wrong_check_digit_shown_under_field_on_blur(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        form.query_one("#f-doc_number").focus()
        await pilot.press(*"430121199001011235")  # last digit wrong
        await pilot.press("tab")
        await pilot.pause()
        text = str(form.query_one("#p-doc_number").render())
        assert "规则 R-ID-3：" in text and "修改方法：" in text


async def test_R_ID_5_guardian_block_only_for_minor(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        assert not form.query_one("#row-guardian_name").display
        form.fill({"birth_date": "2020-05-01"})
        await pilot.pause()
        assert form.query_one("#row-guardian_name").display
        form.fill({"birth_date": "1980-05-01"})
        await pilot.pause()
        assert not form.query_one("#row-guardian_name").display


async def test_R_ID_4_agent_block_for_proxy_channel(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        assert not form.query_one("#row-agent_name").display
        form.fill({"channel": "proxy_person"})
        await pilot.pause()
        assert form.query_one("#row-agent_name").display


async def test_R_ID_5_child_with_guardian_and_household_register_enrols_from_the_screen(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    """A 5-year-old on a 户口簿 (no validity dates) with a parent and the proof of guardianship."""
    child = station.person(31, age=(5, 5), photo=False)
    adult = station.person(32)
    data = person_form(child, tmp_path)
    data.update(doc_type="household_register", doc_valid_from="", doc_valid_to="")
    data.update(
        guardian_name=adult.name,
        guardian_doc_type="resident_id",
        guardian_doc_number=adult.doc_number,
        guardian_relation="parent",
        guardian_proof="household_register",
    )
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        form.fill({"doc_type": "household_register"})
        await pilot.pause()
        assert not form.query_one("#row-doc_valid_from").display  # R-ID-1: a 户口簿 has no dates
        after = await submit(pilot, form, data)
        assert isinstance(after, ReceiptScreen), str(form.query_one("#form-status").render())
    details = one(station.store, "SELECT details FROM businesses WHERE item = 'apply'")["details"]
    assert adult.name in details and "户口簿" in details


def _pdf_images(pdf: bytes) -> int:
    return pdf.count(b"/Subtype /Image")


async def test_R_APP_8_HB_13_39_signature_pad_image_read_stored_and_printed_in_the_signature_box(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    """A real folder as the pad's: an older image is ignored, the one saved after the form opened
    is read with Ctrl+G, stored with the business, and drawn in the PDF form's signature box."""
    import os
    import shutil
    import subprocess
    import time

    from offline.printing.pdf import render_receipt_pdf
    from tests.offline.test_signatures import signature_png
    from tui.config import Config

    pad = tmp_path / "pad"
    pad.mkdir()
    old = pad / "previous-applicant.png"
    old.write_bytes(signature_png(200, 80))
    os.utime(old, (time.time() - 600, time.time() - 600))
    person = station.person(13, name="欧阳娜娜")
    app = app_factory(config=Config(signature_dir=str(pad)))
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        await pilot.press("ctrl+g")  # nothing saved yet since the form opened
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "没有本表打开后保存的签名" in str(form.query_one("#form-status").render())
        image = signature_png(320, 110)
        (pad / "sig-0001.png").write_bytes(image)
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "已读取签名：sig-0001.png" in str(form.query_one("#form-status").render())
        assert form.values()["signed"] == "1"
        data = person_form(person, tmp_path)
        data.pop("signed", None)
        after = await submit(pilot, form, {**data, "signed": "1"})
        assert isinstance(after, ReceiptScreen), form.query_one("#form-status").render()
        result = after.result
    row = one(station.store, "SELECT image, mime, file_name, business_id FROM signatures")
    assert bytes(row["image"]) == image and row["mime"] == "image/png" and row["file_name"] == "sig-0001.png"
    assert row["business_id"] == result.business_id and result.details["signature_image"] is True
    kinds = [r[0] for r in station.store.query("SELECT kind FROM outbox ORDER BY seq")]
    assert count(station.store, "outbox") >= 3, kinds  # photo, signature, business
    pdf = render_receipt_pdf(result, station.info, store=station.store)
    with station.store.write() as conn:  # the same business without its signature: one image less
        conn.execute("DELETE FROM signatures")
    assert _pdf_images(pdf) == _pdf_images(render_receipt_pdf(result, station.info, store=station.store)) + 1
    if shutil.which("pdftoppm"):
        (tmp_path / "form.pdf").write_bytes(pdf)
        done = subprocess.run(
            [
                "pdftoppm",
                "-r",
                "50",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                str(tmp_path / "form.pdf"),
                str(tmp_path / "p"),
            ],
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0 and list(tmp_path.glob("p*.png")), done.stderr


async def test_R_APP_8_without_a_pad_the_ticked_box_is_the_signature(
    station: Station, app_factory: AppFactory
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        assert form.check_action("read_signature", ()) is False  # no 读取签名 without signature_dir
        before = str(form.query_one("#form-status").render())
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(form.query_one("#form-status").render()) == before
